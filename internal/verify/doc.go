// Package verify owns the mapping-aware comparison of a target with its
// sources: it reads the driving source tables in key chunks, turns each
// row into the target row the mappings give (lookups and merged columns
// included), reads those keys from the target and compares them in one
// canonical encoding; it walks the target's keys for rows no source row
// gives, and re-checks every difference for a while before reporting it,
// so that changes the stream is still carrying are not reported. A plain
// copy of one integer-keyed table is compared by chunk checksums first
// (fastpath.go), and the reads of each source are paced and counted
// (load.go).
package verify
