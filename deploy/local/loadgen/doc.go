// Package loadgen owns the demo workload: a mixed stream of transactions
// against the account shards and the recipes cluster of the local stack.
package loadgen
