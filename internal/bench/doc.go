// Package bench holds the end-to-end benchmarks of reading, memory and
// checkpointing; each prints its figures beside a baseline measured in the
// same run. Run them with make bench.
package bench
