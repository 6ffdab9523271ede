// Package replicator wires readers, sinks and the checkpoint store into one
// pipeline and owns its startup, checkpointing and shutdown.
package replicator
