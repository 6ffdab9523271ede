package verify

import (
	"context"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Key intervals.
//
// When a target's only driving entry reads one table and its key copies
// that table's key, one integer column, a chunk of source rows read in
// key order covers a key interval of the target too: the interval after
// the previous chunk's last key up to its own last key (the first chunk
// from no lower bound, the last to no upper bound). Each chunk then reads
// the target rows of its interval with one range read: they are both the
// rows to compare and, those no source row gave, the extra rows, so the
// target is not walked afterwards. Integers have no collation, so rows
// and keys are paired by their exact encoding.

// byIntervals reports whether c's table is compared by key intervals.
func (c *checker) byIntervals() bool {
	if c.r.opts.Where != "" || len(c.tables) != 1 || len(c.drivers) != 1 || len(c.keyIdx) != 1 || c.ignoresDeletes() {
		return false
	}
	st := c.tables[0]
	keys := st.plan.KeyNames()
	if len(keys) != 1 || !slices.Equal(c.drivers[0].KeyColumns, keys) {
		return false
	}
	sk := st.plan.Table.Columns[st.plan.Table.ColumnIndex(keys[0])]
	return intKey(sk.Kind) && intKey(c.tgt.t.Columns[c.keyIdx[0]].Kind)
}

// compareInterval compares the expected rows of a chunk whose source keys
// lie in (lo, hi] (nil: unbounded) with the target rows of that interval
// and returns the differences, extra rows included.
func (c *checker) compareInterval(ctx context.Context, exps []*expRow, lo, hi change.Value) ([]*suspect, error) {
	where, args := interval(quote(c.tt.Key[0]), lo, hi)
	rows, err := c.tgt.query(ctx, c.r.target, c.tgt.sel+where, args)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]int, len(rows))
	for j, row := range rows {
		byKey[c.ckey(c.rowKey(row))] = j
	}
	got := make([]change.Row, len(exps))
	used := make([]bool, len(rows))
	for i, e := range exps {
		if j, ok := byKey[e.ckey]; ok {
			got[i], used[j] = rows[j], true
		}
	}
	out := c.differences(exps, got)
	now := time.Now()
	for j, row := range rows {
		if used[j] || c.softDeleted(row) {
			continue
		}
		key := c.rowKey(row)
		out = append(out, &suspect{kind: Extra, key: key, ckey: c.ckey(key), since: now})
	}
	return out, nil
}
