// Package jsonl owns the JSON lines sink: one envelope per row change,
// appended to a file or written to standard output.
package jsonl
