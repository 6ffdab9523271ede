package lookup

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// startSource starts a MariaDB with database "src" holding the tables of
// ddl (and any rows the statements insert).
func startSource(t testing.TB, stmts ...string) *testenv.Server {
	t.Helper()
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, append([]string{"CREATE DATABASE src"}, stmts...)...)
	return srv
}

// resolver opens a Resolver with srv as source "src", closed when the test
// ends.
func resolver(t testing.TB, srv *testenv.Server, opts Options) *Resolver {
	t.Helper()
	opts.Sources = map[string]string{"src": srv.DSN("root", "", "")}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	r, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// pendingOp returns an UpdateRow of target row key with one pending
// lookup on source "src".
func pendingOp(lk *change.Lookup, key change.Value, params ...change.Value) *change.TargetOp {
	return &change.TargetOp{
		Target: &change.TargetTable{Schema: "tgt", Name: "t", Key: []string{"id"}},
		Kind:   change.UpdateRow, Key: []change.Value{key},
		Pending: []change.Pending{{Lookup: lk, Source: "src", Params: params}},
	}
}

// snapshot copies what Resolve may change in ops.
func snapshot(ops []*change.TargetOp) []change.TargetOp {
	out := make([]change.TargetOp, len(ops))
	for i, op := range ops {
		out[i] = *op
	}
	return out
}

// requireUnchanged checks that ops still equal before.
func requireUnchanged(t testing.TB, before []change.TargetOp, ops []*change.TargetOp) {
	t.Helper()
	for i, op := range ops {
		require.Equal(t, before[i], *op, "op %d changed", i)
	}
}

// describe loads src.customers from srv as the Resolver would.
func describe(t testing.TB, srv *testenv.Server) *change.Table {
	t.Helper()
	tbl, err := decode.LoadTable(context.Background(), srv.DB(t, ""), "src", "customers")
	require.NoError(t, err)
	return tbl
}
