// Package bench holds the end-to-end benchmarks: reading, memory,
// checkpointing, draining into a MySQL target against native replicas, and
// lag; each prints its figures beside a baseline measured in the same run.
// Run them with make bench.
package bench
