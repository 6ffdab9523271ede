// Package change owns the types that flow through the pipeline: row changes,
// transactions, source positions and the value representation.
package change
