// Package replicator owns the running service: it wires readers, mappings,
// sinks and the checkpoint store into one pipeline, tracks each source's
// progress, and owns the service's startup, checkpointing and shutdown.
package replicator
