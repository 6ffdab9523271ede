package verify

import (
	"context"
	"math"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// Dense integer keys.
//
// The target rows of a chunk are read by key with WHERE key IN (...),
// one index lookup per key. When the target key is one integer column and
// the chunk's keys fill most of their range, as the keys of a table
// copied in key order do, one range read of that interval costs the server
// less than half as much; the rows of the interval that were not asked
// for are left to the walk of the target. Integers have no collation, so
// the rows are paired with the keys by their exact encoding.

// denseRange reads the target rows whose key lies between the smallest
// and the largest of keys, when the key is one integer column, every key
// an integer of one Go type and the keys fill at least half the interval;
// ok is false otherwise, and nothing is read.
func (c *checker) denseRange(ctx context.Context, keys [][]change.Value) (rows []change.Row, ok bool, err error) {
	if len(c.keyIdx) != 1 || !intKey(c.tgt.t.Columns[c.keyIdx[0]].Kind) || len(keys) < 2 {
		return nil, false, nil
	}
	var lo, hi change.Value
	var span uint64
	switch keys[0][0].(type) {
	case int64:
		a, b := int64(math.MaxInt64), int64(math.MinInt64)
		for _, k := range keys {
			v, is := k[0].(int64)
			if !is {
				return nil, false, nil
			}
			a, b = min(a, v), max(b, v)
		}
		lo, hi, span = a, b, uint64(b)-uint64(a)
	case uint64:
		a, b := uint64(math.MaxUint64), uint64(0)
		for _, k := range keys {
			v, is := k[0].(uint64)
			if !is {
				return nil, false, nil
			}
			a, b = min(a, v), max(b, v)
		}
		lo, hi, span = a, b, b-a
	default:
		return nil, false, nil
	}
	if span >= uint64(2*len(keys)) {
		return nil, false, nil
	}
	col := quote(c.tt.Key[0])
	lt, la := sqlparam.Placeholder(lo)
	ht, ha := sqlparam.Placeholder(hi)
	rows, err = c.tgt.query(ctx, c.r.target, c.tgt.sel+" WHERE "+col+" >= "+lt+" AND "+col+" <= "+ht, []any{la, ha})
	return rows, true, err
}

// pairExact returns the row of rows whose key has the exact encoding of
// each expected row's, nil where none has.
func (c *checker) pairExact(exps []*expRow, rows []change.Row, err error) ([]change.Row, []bool, error) {
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[string]change.Row, len(rows))
	for _, row := range rows {
		byKey[c.ckey(c.rowKey(row))] = row
	}
	out := make([]change.Row, len(exps))
	paired := make([]bool, len(exps))
	for i, e := range exps {
		out[i], paired[i] = byKey[e.ckey], true
	}
	return out, paired, nil
}
