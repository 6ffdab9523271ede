package backfill

import "github.com/tributary-cdc/tributary/internal/change"

// appendKey appends the encoding of key values (change.AppendKey). Values
// are compared exactly, as the server stored them: a binlog image and a
// read of the same row give the same bytes, also under a case-insensitive
// collation (see Merger). Decoded values always have a column value's
// type; anything else encodes as a marker that matches only itself.
func appendKey(dst []byte, vals []change.Value) []byte {
	out, err := change.AppendKey(dst, vals)
	if err != nil {
		return append(dst, '?')
	}
	return out
}
