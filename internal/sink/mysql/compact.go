package mysql

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Compaction.
//
// On a table whose only unique key is the one operations are keyed by,
// operations on different rows commute, and the operations on one row
// reduce to at most a delete followed by an upsert: a delete makes every
// earlier write to the row irrelevant, and consecutive upserts merge into
// one that writes the union of their columns with the later values. A
// batch of such operations is therefore applied as its deletes, grouped
// into multi-row DELETEs, then its upserts, grouped by column list into
// multi-row INSERTs, whatever the order in which kinds and tables
// alternated. That turns a stream of small mixed transactions into a few
// large statements. Batches that touch a table with another unique key
// keep their order (see the package comment).

// compact reduces and reorders b's items as described above and regroups
// its statements. It must only be called when every item's table has no
// unique key besides the operations' key.
func (b *batch) compact() {
	if b.breaks == 0 {
		return // already one run per statement group: nothing to merge
	}
	type row struct{ del, up int } // indexes into out; -1 when absent
	rows := make(map[string]*row, len(b.items))
	dels := make([]item, 0, len(b.items))
	ups := make([]item, 0, len(b.items))
	var key []byte
	for _, it := range b.items {
		key = rowKey(key[:0], &it.op)
		r, ok := rows[string(key)]
		if !ok {
			r = &row{del: -1, up: -1}
			rows[string(key)] = r
		}
		switch it.op.Kind {
		case change.DeleteRow:
			if r.del < 0 {
				r.del = len(dels)
				dels = append(dels, it)
			} else {
				dels[r.del] = it
			}
			if r.up >= 0 {
				ups[r.up] = item{} // superseded by the delete
				r.up = -1
			}
		default:
			if r.up < 0 {
				r.up = len(ups)
				ups = append(ups, it)
			} else {
				ups[r.up] = mergeUpserts(ups[r.up], it)
			}
		}
	}
	b.items = b.items[:0]
	b.stmts = b.stmts[:0]
	b.breaks = 0
	for _, it := range dels {
		b.add(it)
	}
	// Group upserts by table and column list, keeping first-seen order
	// between groups. Groups are few, so a scan beats hashing every item.
	var groups [][]item
	last := -1
	for _, it := range ups {
		if it.op.Target == nil {
			continue // superseded by a delete
		}
		g := last
		if g < 0 || !sameRun(&groups[g][0].op, &it.op) {
			g = slices.IndexFunc(groups, func(gr []item) bool { return sameRun(&gr[0].op, &it.op) })
			if g < 0 {
				g = len(groups)
				groups = append(groups, nil)
			}
		}
		groups[g] = append(groups[g], it)
		last = g
	}
	for _, gr := range groups {
		for _, it := range gr {
			b.add(it)
		}
	}
}

// mergeUpserts returns the upsert that has the effect of a followed by b on
// the same row: the union of their columns, b's values where both write.
func mergeUpserts(a, b item) item {
	if slices.Equal(a.op.Columns, b.op.Columns) {
		return b
	}
	cols := append([]string(nil), b.op.Columns...)
	vals := append([]change.Value(nil), b.op.Values...)
	for i, c := range a.op.Columns {
		if !slices.Contains(b.op.Columns, c) {
			cols = append(cols, c)
			vals = append(vals, a.op.Values[i])
		}
	}
	b.op.Columns, b.op.Values = cols, vals
	return b
}

// rowKey appends an unambiguous key of op's table and row.
func rowKey(dst []byte, op *change.TargetOp) []byte {
	dst = append(dst, op.Target.Schema...)
	dst = append(dst, 0)
	dst = append(dst, op.Target.Name...)
	dst = append(dst, 0)
	for _, v := range op.Key {
		dst = appendKeyValue(dst, v)
	}
	return dst
}
