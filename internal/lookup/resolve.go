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
	refs := make([][]ref, len(ops))
	for o, op := range ops {
		for _, p := range op.Pending {
			if err := checkLookup(p.Lookup); err != nil {
				return err
			}
			lk := p.Lookup
			rf, err := groups.add(groupKey{lk, p.Source}, p.Params, func() *search {
				lookups = append(lookups, lk)
				return newSearch(lk.Name, tableKey{p.Source, lk.Schema, lk.Table}, lk.Match, lk.Select, lk.OrderBy)
			})
			if err != nil {
				return err
			}
			refs[o] = append(refs[o], rf)
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
		for set, rows := range s.rows {
			v, err := result(lookups[n], s, rows)
			if err != nil {
				return err
			}
			vals[set] = v
		}
		values[s] = vals
	}
	for o, op := range ops {
		if len(op.Pending) == 0 {
			continue // done already: the op appears twice in ops
		}
		// Full slice expressions: appending must never write into an array
		// another op's Columns or Values share.
		op.Columns = op.Columns[:len(op.Columns):len(op.Columns)]
		op.Values = op.Values[:len(op.Values):len(op.Values)]
		for i, p := range op.Pending {
			op.Columns = append(op.Columns, p.Lookup.Columns...)
			op.Values = append(op.Values, values[refs[o][i].s][refs[o][i].set]...)
		}
		op.Pending = nil
	}
	return nil
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
