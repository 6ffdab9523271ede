package lookup

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestExpand(t *testing.T) {
	srv := startSource(t, append(customers,
		"CREATE TABLE src.orders (id INT PRIMARY KEY, customer_id INT, KEY (customer_id))",
		"INSERT INTO src.orders VALUES (10, 1), (11, 1), (12, 2), (13, NULL)")...)
	r := resolver(t, srv, Options{})
	target := &change.TargetTable{Schema: "tgt", Name: "orders", Key: []string{"id"}}
	lk := customerLookup()
	lk.Via = &change.Via{Source: "src", Schema: "src", Table: "orders", Key: []string{"id"}, Cond: []string{"customer_id"}}
	rederive := func(customer change.Value, changeIdx int) change.TargetOp {
		return change.TargetOp{
			Target: target, Kind: change.Rederive,
			Cond: []string{"customer_id"}, CondValues: []change.Value{customer},
			Pending: []change.Pending{{Lookup: lk, Source: "src", Params: []change.Value{customer}}},
			Change:  changeIdx,
		}
	}
	upsert := change.TargetOp{Target: target, Kind: change.Upsert, Key: []change.Value{int64(99)},
		Columns: []string{"id"}, Values: []change.Value{int64(99)}, Change: 1}
	txn := &change.Txn{Source: "src", Ops: []change.TargetOp{
		upsert, rederive(int64(1), 2), upsert, rederive(int64(2), 3), rederive(int64(3), 4),
		rederive(int64(1), 5), rederive(nil, 6),
	}}

	require.NoError(t, r.Expand(context.Background(), txn))
	update := func(key int64, customer int64, changeIdx int) change.TargetOp {
		op := rederive(customer, changeIdx)
		op.Kind, op.Key = change.UpdateRow, []change.Value{key}
		return op
	}
	require.Equal(t, []change.TargetOp{
		upsert, update(10, 1, 2), update(11, 1, 2), upsert, update(12, 2, 3),
	}, txn.Ops)
	require.Equal(t, uint64(1), r.Queries(), "one query for the distinct, non-NULL parameters")

	// The UpdateRows resolve like any pending op.
	ops := []*change.TargetOp{&txn.Ops[1], &txn.Ops[4]}
	require.NoError(t, r.Resolve(context.Background(), ops))
	require.Equal(t, []change.Value{"Ada", "gold"}, txn.Ops[1].Values)
	require.Equal(t, []change.Value{"Bob", nil}, txn.Ops[4].Values)

	// Without re-derivations nothing is asked.
	plain := &change.Txn{Ops: []change.TargetOp{upsert}}
	require.NoError(t, r.Expand(context.Background(), plain))
	require.Equal(t, []change.TargetOp{upsert}, plain.Ops)
	require.Equal(t, uint64(2), r.Queries())
}

func TestExpandIsAtomic(t *testing.T) {
	srv := startSource(t, "CREATE TABLE src.orders (id INT PRIMARY KEY, customer_id INT)",
		"INSERT INTO src.orders VALUES (10, 1)")
	r := resolver(t, srv, Options{})
	target := &change.TargetTable{Schema: "tgt", Name: "orders", Key: []string{"id"}}
	op := func(via *change.Via) change.TargetOp {
		lk := customerLookup()
		lk.Via = via
		return change.TargetOp{Target: target, Kind: change.Rederive, Cond: []string{"customer_id"},
			CondValues: []change.Value{int64(1)},
			Pending:    []change.Pending{{Lookup: lk, Source: "src", Params: []change.Value{int64(1)}}}}
	}
	good := op(&change.Via{Source: "src", Schema: "src", Table: "orders", Key: []string{"id"}, Cond: []string{"customer_id"}})
	for name, bad := range map[string]change.TargetOp{
		"unknown source": op(&change.Via{Source: "other", Schema: "src", Table: "orders", Key: []string{"id"}, Cond: []string{"customer_id"}}),
		"missing column": op(&change.Via{Source: "src", Schema: "src", Table: "orders", Key: []string{"id"}, Cond: []string{"client"}}),
		"no via":         op(nil),
		"key mismatch":   op(&change.Via{Source: "src", Schema: "src", Table: "orders", Key: []string{"id", "customer_id"}, Cond: []string{"customer_id"}}),
	} {
		t.Run(name, func(t *testing.T) {
			ops := []change.TargetOp{good, bad}
			txn := &change.Txn{Ops: ops}
			err := r.Expand(context.Background(), txn)
			require.ErrorIs(t, err, ErrPermanent)
			require.False(t, IsTransient(err))
			require.Equal(t, ops, txn.Ops)
			require.Equal(t, change.Rederive, txn.Ops[0].Kind)
		})
	}
}

func TestExpandAllSearchesOnceForSeveralTransactions(t *testing.T) {
	srv := startSource(t, append(customers,
		"CREATE TABLE src.orders (id INT PRIMARY KEY, customer_id INT, KEY (customer_id))",
		"INSERT INTO src.orders VALUES (10, 1), (11, 1), (12, 2)")...)
	r := resolver(t, srv, Options{})
	target := &change.TargetTable{Schema: "tgt", Name: "orders", Key: []string{"id"}}
	lk := customerLookup()
	lk.Via = &change.Via{Source: "src", Schema: "src", Table: "orders", Key: []string{"id"}, Cond: []string{"customer_id"}}
	rederive := func(customer int64) change.TargetOp {
		return change.TargetOp{
			Target: target, Kind: change.Rederive,
			Cond: []string{"customer_id"}, CondValues: []change.Value{customer},
			Pending: []change.Pending{{Lookup: lk, Source: "src", Params: []change.Value{customer}}},
		}
	}
	update := func(key, customer int64) change.TargetOp {
		op := rederive(customer)
		op.Kind, op.Key = change.UpdateRow, []change.Value{key}
		return op
	}
	upsert := change.TargetOp{Target: target, Kind: change.Upsert, Key: []change.Value{int64(99)},
		Columns: []string{"id"}, Values: []change.Value{int64(99)}}
	// One customer renamed in each transaction, customer 1 twice: each
	// transaction keeps its own updates, in its own order.
	txns := []*change.Txn{
		{Source: "src", Seq: 1, Ops: []change.TargetOp{rederive(1)}},
		{Source: "src", Seq: 2, Ops: []change.TargetOp{upsert}},
		{Source: "src", Seq: 3, Ops: []change.TargetOp{rederive(2), upsert}},
		{Source: "src", Seq: 4, Ops: []change.TargetOp{rederive(1), rederive(1)}},
	}
	require.NoError(t, r.ExpandAll(context.Background(), txns))
	require.Equal(t, uint64(1), r.Queries(), "one query for every transaction's re-derivations")
	require.Equal(t, []change.TargetOp{update(10, 1), update(11, 1)}, txns[0].Ops)
	require.Equal(t, []change.TargetOp{upsert}, txns[1].Ops)
	require.Equal(t, []change.TargetOp{update(12, 2), upsert}, txns[2].Ops)
	require.Equal(t, []change.TargetOp{update(10, 1), update(11, 1)}, txns[3].Ops, "deduplicated within its transaction")

	// Atomic across the transactions: one that cannot be expanded leaves
	// every one unchanged.
	bad := rederive(1)
	bad.Pending[0].Lookup = &change.Lookup{Name: "broken"}
	good := &change.Txn{Ops: []change.TargetOp{rederive(2)}}
	broken := &change.Txn{Ops: []change.TargetOp{bad}}
	require.ErrorIs(t, r.ExpandAll(context.Background(), []*change.Txn{good, broken}), ErrPermanent)
	require.Equal(t, []change.TargetOp{rederive(2)}, good.Ops)
}
