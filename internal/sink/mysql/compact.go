package mysql

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Compaction.
//
// On a table whose only unique key is the one operations are keyed by,
// operations on different rows commute, and the operations on one row
// reduce to at most a delete, an update and an upsert, in that order:
//
//   - a delete makes every earlier write to the row irrelevant, and an
//     update after it, before any upsert, writes nothing (the row is gone);
//   - consecutive upserts merge into one that writes the union of their
//     columns with the later values;
//   - an update after an upsert merges into it the same way (the row
//     exists by then);
//   - updates before any upsert (the row's fate before the batch is not
//     known) merge into one update, which an upsert writing all its
//     columns makes irrelevant.
//
// A batch of such operations is therefore applied as its deletes, grouped
// into multi-row DELETEs, then its updates, grouped by column list into
// multi-row UPDATEs, then its upserts, grouped by column list into
// multi-row INSERTs, whatever the order in which kinds and tables
// alternated. That turns a stream of small mixed transactions into a few
// large statements; a merge's contributors, whose updates follow the
// driving row's upsert, then cost no statement of their own. Batches that
// touch a table with another unique key keep their order (see the package
// comment), but for the parts of a split run (split.go). Conditional updates, Rejects and Rederives keep their place
// (see reorderable): the runs of operations between them are compacted
// each on its own.
//
// An upsert's pending lookups are read when its merged upsert is written,
// which is later than its own place in the order; a later read is as good
// (see resolve.go).

// reorderable reports whether op is of a kind compaction knows how to
// merge: an upsert, a delete or an unconditional update. An update with
// conditions depends on the values the row holds at its place in the
// order, and a Reject or a Rederive fails in its place.
func reorderable(op *change.TargetOp) bool {
	switch op.Kind {
	case change.Upsert, change.DeleteRow:
		return true
	case change.UpdateRow:
		return len(op.Cond) == 0
	}
	return false
}

// compact reduces and reorders b's items as described above and regroups
// its statements: each run of reorderable operations on its own, the
// others in their places. It must only be called when every item's table
// has no unique key besides the operations' key, or on a part of a split
// run, which is written again whole after any error (split.go).
//
// The batch's items become the scratch from which the new ones are built,
// and its merged operations are written back into that scratch: the
// working lists hold indexes into it, not copies of items, so compaction
// neither copies each operation several times nor keeps arrays of them
// for the garbage collector to scan between batches.
func (b *batch) compact() {
	if b.breaks == 0 {
		return // already one run per statement group: nothing to merge
	}
	all := b.items
	b.items = b.scratch.all[:0]
	defer func() { clear(all); b.scratch.all = all[:0] }()
	b.stmts = b.stmts[:0]
	b.breaks = 0
	start := 0
	for i := range len(all) + 1 {
		if i < len(all) && reorderable(&all[i].op) {
			continue
		}
		b.compactRun(all[start:i])
		if i < len(all) {
			b.add(all[i])
		}
		start = i + 1
	}
}

// compactRun adds the reduced form of items, reorderable operations in
// queue order: their deletes, then their updates, then their upserts. It
// writes merged operations into items, in the place of the first one of
// their row.
func (b *batch) compactRun(items []item) {
	sc := &b.scratch
	if sc.rows == nil {
		sc.rows = map[string]int{}
	}
	rows, all := sc.rows, sc.runRows[:0]
	dels, pres, ups := sc.dels[:0], sc.pres[:0], sc.ups[:0]
	defer func() {
		clear(rows)
		sc.runRows, sc.dels, sc.pres, sc.ups = all[:0], dels[:0], pres[:0], ups[:0]
	}()
	key := sc.key
	for i := range items {
		it := &items[i]
		key = rowKey(key[:0], &it.op)
		n, ok := rows[string(key)]
		if !ok {
			n = len(all)
			all = append(all, compactRow{del: -1, pre: -1, up: -1})
			rows[string(key)] = n
		}
		r := &all[n]
		switch it.op.Kind {
		case change.DeleteRow:
			if r.del < 0 {
				r.del = len(dels)
				dels = append(dels, int32(i))
			} else {
				dels[r.del] = int32(i)
			}
			r.deleted = true
			if r.up >= 0 {
				ups[r.up] = superseded // by the delete
				r.up = -1
			}
			if r.pre >= 0 {
				pres[r.pre] = superseded
				r.pre = -1
			}
		case change.UpdateRow:
			switch {
			case r.up >= 0:
				j := ups[r.up]
				items[j] = mergeUpserts(items[j], *it)
				items[j].op.Kind = change.Upsert
			case r.deleted:
				// No row to update: the delete is applied first.
			case r.pre >= 0:
				j := pres[r.pre]
				items[j] = mergeUpserts(items[j], *it)
			default:
				r.pre = len(pres)
				pres = append(pres, int32(i))
			}
		default:
			if r.up < 0 {
				r.up = len(ups)
				ups = append(ups, int32(i))
			} else {
				j := ups[r.up]
				items[j] = mergeUpserts(items[j], *it)
			}
		}
	}
	sc.key = key
	for n := range all {
		r := &all[n]
		if r.pre >= 0 && r.up >= 0 && covers(&items[ups[r.up]].op, &items[pres[r.pre]].op) {
			pres[r.pre] = superseded
		}
	}
	for _, j := range dels {
		b.add(items[j])
	}
	b.addGrouped(items, pres)
	b.addGrouped(items, ups)
}

// superseded marks a place of compactRun's lists whose operation a later
// one of its row made irrelevant.
const superseded = -1

// compactRow is where compactRun holds a row's operations: positions in
// its dels, pres and ups, -1 when absent; deleted is set once the run
// deleted the row.
type compactRow struct {
	del, pre, up int
	deleted      bool
}

// compactScratch is compaction's working memory, kept by the batch for
// the next one: the items a batch is rebuilt from, emptied after each
// use, and lists of indexes into them, which hold no pointers.
type compactScratch struct {
	all             []item
	dels, pres, ups []int32
	rows            map[string]int
	runRows         []compactRow
	groups          [][]int32
	key             []byte
}

// addGrouped adds the items at idxs, grouped by table and column list,
// keeping first-seen order between groups and skipping superseded places.
// Groups are few, so a scan beats hashing every item.
func (b *batch) addGrouped(items []item, idxs []int32) {
	groups := b.scratch.groups[:0]
	defer func() {
		for i := range groups {
			groups[i] = groups[i][:0]
		}
		b.scratch.groups = groups[:0]
	}()
	last := -1
	for _, j := range idxs {
		if j == superseded {
			continue
		}
		op := &items[j].op
		g := last
		if g < 0 || !sameRun(&items[groups[g][0]].op, op) {
			g = slices.IndexFunc(groups, func(gr []int32) bool { return sameRun(&items[gr[0]].op, op) })
			if g < 0 {
				g = len(groups)
				if g < cap(groups) {
					groups = groups[:g+1]
				} else {
					groups = append(groups, nil)
				}
			}
		}
		groups[g] = append(groups[g], j)
		last = g
	}
	for _, gr := range groups {
		for _, j := range gr {
			b.add(items[j])
		}
	}
}

// covers reports whether up writes every column that u writes, directly or
// through a lookup, so that u applied before up leaves no trace.
func covers(up, u *change.TargetOp) bool {
	writes := func(c string) bool {
		return slices.Contains(up.Columns, c) ||
			slices.ContainsFunc(up.Pending, func(p change.Pending) bool { return slices.Contains(p.Lookup.Columns, c) })
	}
	for _, c := range u.Columns {
		if !writes(c) {
			return false
		}
	}
	for _, p := range u.Pending {
		for _, c := range p.Lookup.Columns {
			if !writes(c) {
				return false
			}
		}
	}
	return true
}

// mergeUpserts returns the upsert that has the effect of a followed by b on
// the same row: the union of their columns, b's values where both write.
// Two updates merge the same way into an update; b keeps its kind.
//
// A pending lookup counts as a write of its columns. The merged upsert
// keeps b's lookups, then those of a's that b does not run and whose
// columns b writes neither directly nor through a lookup; of a's direct
// columns it keeps those b writes neither way. Where both write a column,
// b wins. Mappings give every lookup its own columns, so an a lookup is
// only ever dropped for b running it again; dropping it whole, rather than
// in part, keeps the merged upsert from naming a column twice.
func mergeUpserts(a, b item) item {
	if len(a.op.Pending) == 0 && slices.Equal(a.op.Columns, b.op.Columns) {
		return b
	}
	writes := func(c string) bool {
		return slices.Contains(b.op.Columns, c) ||
			slices.ContainsFunc(b.op.Pending, func(p change.Pending) bool { return slices.Contains(p.Lookup.Columns, c) })
	}
	cols := append([]string(nil), b.op.Columns...)
	vals := append([]change.Value(nil), b.op.Values...)
	for i, c := range a.op.Columns {
		if !writes(c) {
			cols = append(cols, c)
			vals = append(vals, a.op.Values[i])
		}
	}
	pending := slices.Clip(b.op.Pending)
	for _, p := range a.op.Pending {
		if sameLookupIn(b.op.Pending, p.Lookup) || slices.ContainsFunc(p.Lookup.Columns, writes) {
			continue
		}
		pending = append(pending, p)
	}
	b.op.Columns, b.op.Values, b.op.Pending = cols, vals, pending
	return b
}

// sameLookupIn reports whether ps runs lk.
func sameLookupIn(ps []change.Pending, lk *change.Lookup) bool {
	return slices.ContainsFunc(ps, func(p change.Pending) bool { return p.Lookup == lk })
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
