package lookup

import (
	"context"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Resolve completes ops: for every Pending lookup of every op it reads the
// matching row of the looked-up table (all matching rows for an Array
// lookup) and appends the lookup's Columns to op.Columns and their values
// to op.Values, in Pending order; Pending is then nil. Lookups that share
// a Lookup and a source are batched and identical parameter sets asked
// once. An Array lookup ignores Eval; see jsonArray for how its values
// are written. It is atomic: on error no op is changed.
func (r *Resolver) Resolve(ctx context.Context, ops []*change.TargetOp) error {
	var groups searchGroups
	var lookups []*change.Lookup // aligned with groups.list
	// refs holds each op's refs in Pending order, op o's from first[o].
	refs := make([]ref, 0, len(ops))
	first := make([]int, len(ops))
	for o, op := range ops {
		first[o] = len(refs)
		for _, p := range op.Pending {
			if err := checkLookup(p.Lookup); err != nil {
				return err
			}
			lk := p.Lookup
			rf, err := groups.add(groupKey{lk, p.Source}, p.Params, func() *search {
				lookups = append(lookups, lk)
				s := newSearch(lk.Name, tableKey{p.Source, lk.Schema, lk.Table}, lk.Match, lk.Select, lk.OrderBy)
				s.array = lk.Array
				return s
			})
			if err != nil {
				return err
			}
			refs = append(refs, rf)
		}
	}
	searches := groups.list
	if len(searches) == 0 {
		return nil
	}
	if err := r.find(ctx, searches, "querying"); err != nil {
		return err
	}
	// Values per search and set, computed once however many ops share them.
	values := make(map[*search][][]change.Value, len(searches))
	for n, s := range searches {
		vals := make([][]change.Value, len(s.sets))
		for set := range s.sets {
			if s.docs != nil {
				vals[set] = []change.Value{arrayDoc(s.docs[set])}
				continue
			}
			v, err := result(lookups[n], s, s.rows[set])
			if err != nil {
				return err
			}
			vals[set] = v
		}
		values[s] = vals
	}
	var cols columnLists
	for o, op := range ops {
		if len(op.Pending) == 0 {
			continue // done already: the op appears twice in ops
		}
		// A new array, sized once: appending must never write into an
		// array another op's Values share.
		extra := 0
		for _, p := range op.Pending {
			extra += len(p.Lookup.Columns)
		}
		op.Columns = cols.extend(op.Columns, op.Pending, extra)
		op.Values = append(make([]change.Value, 0, len(op.Values)+extra), op.Values...)
		for i := range op.Pending {
			rf := refs[first[o]+i]
			op.Values = append(op.Values, values[rf.s][rf.set]...)
		}
		op.Pending = nil
	}
	return nil
}

// columnLists gives ops their resolved column lists: an op's Columns
// followed by every pending lookup's Columns. Ops with the same Columns
// (one contributor's share one list) and the same lookups share one new
// list, whose capacity is its length, so appending to it copies it.
type columnLists struct {
	base, out []string
	pending   []change.Pending
}

// extend returns the list for columns and pending, which add extra
// columns.
func (c *columnLists) extend(columns []string, pending []change.Pending, extra int) []string {
	if c.out != nil && sameList(c.base, columns) && samePending(c.pending, pending) {
		return c.out
	}
	out := append(make([]string, 0, len(columns)+extra), columns...)
	for _, p := range pending {
		out = append(out, p.Lookup.Columns...)
	}
	c.base, c.out, c.pending = columns, out, pending
	return out
}

// sameList reports whether a and b are the same slice of one array.
func sameList(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// samePending reports whether a and b run the same lookups in order.
func samePending(a, b []change.Pending) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Lookup != b[i].Lookup {
			return false
		}
	}
	return true
}

// checkLookup reports a lookup that cannot be run.
func checkLookup(lk *change.Lookup) error {
	switch {
	case lk == nil:
		return permanentf("a pending lookup has no Lookup")
	case len(lk.Match) == 0:
		return permanentf("lookup %s: no match columns", lk.Name)
	case len(lk.Select) == 0:
		return permanentf("lookup %s: no selected columns", lk.Name)
	case lk.Array && len(lk.Columns) != 1:
		return permanentf("lookup %s: an array lookup fills one column, not %d", lk.Name, len(lk.Columns))
	case !lk.Array && lk.Eval == nil && len(lk.Select) != len(lk.Columns):
		return permanentf("lookup %s: %d selected columns for %d target columns",
			lk.Name, len(lk.Select), len(lk.Columns))
	}
	return nil
}

// result returns the values of lk.Columns for the rows one parameter set
// matched.
func result(lk *change.Lookup, s *search, rows []change.Row) ([]change.Value, error) {
	if lk.Array {
		doc, err := jsonArray(rows)
		if err != nil {
			return nil, permanentf("lookup %s: building the array of %s.%s from %s: %w",
				lk.Name, lk.Schema, lk.Table, lk.Select[0], err)
		}
		return []change.Value{doc}, nil
	}
	switch {
	case len(rows) > 1:
		return nil, permanentf("lookup %s: %d rows of %s.%s match one parameter set; "+
			"the match columns must identify at most one row", lk.Name, len(rows), lk.Schema, lk.Table)
	case len(rows) == 0:
		return make([]change.Value, len(lk.Columns)), nil
	case lk.Eval == nil:
		return rows[0], nil
	}
	vals, ok, err := lk.Eval(s.desc, rows[0])
	switch {
	case err != nil:
		return nil, permanentf("lookup %s: evaluating a row of %s.%s: %w", lk.Name, lk.Schema, lk.Table, err)
	case !ok:
		return make([]change.Value, len(lk.Columns)), nil
	case len(vals) != len(lk.Columns):
		return nil, permanentf("lookup %s: evaluation returned %d values for %d columns",
			lk.Name, len(vals), len(lk.Columns))
	}
	return vals, nil
}
