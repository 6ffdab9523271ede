package lookup

import (
	"context"
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Expand replaces every Rederive op of txn with one UpdateRow per target
// row it reaches, in place and keeping the order of txn.Ops. The rows are
// those of the lookup's Via table whose Via.Cond columns equal the
// pending's parameters; their Via.Key values are the target keys. Each
// UpdateRow keeps the Rederive's Cond, CondValues, Change and pending
// lookup, which the sink resolves when it writes. A row reached twice
// through the same lookup with the same parameters is updated once, at its
// first place. Rederives that share a Lookup and a Via source are batched.
// It is atomic: on error txn.Ops is unchanged.
func (r *Resolver) Expand(ctx context.Context, txn *change.Txn) error {
	return r.ExpandAll(ctx, []*change.Txn{txn})
}

// ExpandAll is Expand of several transactions at once: their Rederives
// that share a Lookup and a Via source are searched together, so a run of
// small transactions that each re-derive rows (renames, one per
// transaction) costs the source one query per batch instead of one per
// transaction. Each transaction's operations are replaced as Expand
// replaces them, deduplicated within the transaction only. The rows found
// are those of the Via table when the queries run, as for Expand. It is
// atomic: on error no transaction is changed.
func (r *Resolver) ExpandAll(ctx context.Context, txns []*change.Txn) error {
	var groups searchGroups
	type opRef struct{ txn, op int }
	refs := map[opRef]ref{}
	rederives := make([]bool, len(txns))
	for t, txn := range txns {
		for i := range txn.Ops {
			op := &txn.Ops[i]
			if op.Kind != change.Rederive {
				continue
			}
			if err := checkRederive(op); err != nil {
				return err
			}
			p := op.Pending[0]
			via := p.Lookup.Via
			rf, err := groups.add(groupKey{p.Lookup, via.Source}, p.Params, func() *search {
				return newSearch(p.Lookup.Name, tableKey{via.Source, via.Schema, via.Table}, via.Cond, via.Key, via.Key)
			})
			if err != nil {
				return err
			}
			refs[opRef{t, i}] = rf
			rederives[t] = true
		}
	}
	if len(groups.list) == 0 {
		return nil
	}
	if err := r.find(ctx, groups.list, "finding the rows to re-derive in"); err != nil {
		return err
	}
	out := make([][]change.TargetOp, len(txns))
	for t, txn := range txns {
		if !rederives[t] {
			out[t] = txn.Ops
			continue
		}
		ops, err := expanded(txn.Ops, func(i int) (ref, bool) { rf, ok := refs[opRef{t, i}]; return rf, ok })
		if err != nil {
			return err
		}
		out[t] = ops
	}
	for t, txn := range txns {
		txn.Ops = out[t]
	}
	return nil
}

// expanded returns ops with each Rederive that refOf finds replaced by the
// UpdateRows of the rows its search found.
func expanded(ops []change.TargetOp, refOf func(i int) (ref, bool)) ([]change.TargetOp, error) {
	type seenKey struct {
		lookup *change.Lookup
		target *change.TargetTable
		row    string // key values, then parameters
	}
	seen := map[seenKey]bool{}
	out := make([]change.TargetOp, 0, len(ops))
	for i, op := range ops {
		rf, ok := refOf(i)
		if !ok {
			out = append(out, op)
			continue
		}
		p := op.Pending[0]
		for _, key := range rf.s.rows[rf.set] {
			id, err := change.AppendKey(nil, key)
			if err == nil {
				id, err = change.AppendKey(id, p.Params)
			}
			if err != nil {
				return nil, permanentf("lookup %s: re-derived key: %w", p.Lookup.Name, err)
			}
			k := seenKey{p.Lookup, op.Target, string(id)}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, change.TargetOp{
				Target: op.Target, Kind: change.UpdateRow, Key: slices.Clone(key),
				Cond: op.Cond, CondValues: op.CondValues,
				Pending: []change.Pending{p}, Change: op.Change,
			})
		}
	}
	return out, nil
}

// checkRederive reports a Rederive that cannot be expanded.
func checkRederive(op *change.TargetOp) error {
	if len(op.Pending) != 1 || op.Pending[0].Lookup == nil {
		return permanentf("a rederive of %s has %d pending lookups, not one", targetName(op), len(op.Pending))
	}
	lk := op.Pending[0].Lookup
	switch via := lk.Via; {
	case via == nil:
		return permanentf("lookup %s: a rederive needs a Via", lk.Name)
	case len(via.Cond) == 0:
		return permanentf("lookup %s: Via has no Cond columns", lk.Name)
	case op.Target == nil || len(via.Key) != len(op.Target.Key) || len(via.Key) == 0:
		return permanentf("lookup %s: Via has %d key columns for the key of %s",
			lk.Name, len(via.Key), targetName(op))
	}
	return nil
}

// targetName names op's target table.
func targetName(op *change.TargetOp) string {
	if op.Target == nil {
		return "no target table"
	}
	return op.Target.QualifiedName()
}
