package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// target is a MariaDB server with database "tgt" for one test.
type target struct {
	srv *testenv.Server
	db  *sql.DB
}

func startTarget(t testing.TB, ddl ...string) *target {
	t.Helper()
	srv := testenv.StartT(t, testenv.Options{})
	stmts := append([]string{"CREATE DATABASE tgt"}, ddl...)
	srv.Exec(t, stmts...)
	return &target{srv: srv, db: srv.DB(t, "tgt")}
}

// sink opens a sink on the target and runs it, closed when the test ends.
func (tg *target) sink(t testing.TB, opts Options) *Sink {
	t.Helper()
	opts.DataSourceName = tg.srv.DSN("root", "", "tgt")
	s, err := New(context.Background(), opts)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, <-done)
	})
	return s
}

// dump returns the rows of query, each formatted as "v1|v2|...", NULL as "NULL".
func (tg *target) dump(t testing.TB, query string) []string {
	t.Helper()
	rows, err := tg.db.Query(query)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

func table(name string, key ...string) *change.TargetTable {
	return &change.TargetTable{Schema: "tgt", Name: name, Key: key}
}

func upsert(t *change.TargetTable, cols []string, vals ...change.Value) change.TargetOp {
	var key []change.Value
	for _, k := range t.Key {
		for i, c := range cols {
			if c == k {
				key = append(key, vals[i])
			}
		}
	}
	return change.TargetOp{Target: t, Kind: change.Upsert, Key: key, Columns: cols, Values: vals}
}

func del(t *change.TargetTable, key ...change.Value) change.TargetOp {
	return change.TargetOp{Target: t, Kind: change.DeleteRow, Key: key}
}

// txn wraps ops in a last part of source "src" with sequence seq.
func txn(seq uint64, ops ...change.TargetOp) *change.Txn {
	return &change.Txn{
		Source: "src", Seq: seq, Last: true, GTID: fmt.Sprintf("0-1-%d", seq),
		CommitTime: time.Unix(0, 0).UTC(),
		Begin:      change.Position{Flavor: change.MariaDB, File: "mysql-bin.000001", Pos: uint32(seq * 100)},
		End:        change.Position{Flavor: change.MariaDB, File: "mysql-bin.000001", Pos: uint32(seq*100 + 50)},
		Ops:        ops,
	}
}

// applyAll applies every txn and flushes.
func applyAll(t testing.TB, s *Sink, txns ...*change.Txn) {
	t.Helper()
	ctx := context.Background()
	for _, x := range txns {
		require.NoError(t, s.Apply(ctx, x))
	}
	require.NoError(t, s.Flush(ctx))
}

func mysqlError(n uint16) error {
	return fmt.Errorf("applying: %w", &mysqldriver.MySQLError{Number: n, Message: "m"})
}

// updateRow returns an UpdateRow of cols of the row with a one-column key.
func updateRow(t *change.TargetTable, key change.Value, cols []string, vals ...change.Value) change.TargetOp {
	return change.TargetOp{Target: t, Kind: change.UpdateRow, Key: []change.Value{key}, Columns: cols, Values: vals}
}

// withCond adds conditions to an UpdateRow.
func withCond(op change.TargetOp, cols []string, vals ...change.Value) change.TargetOp {
	op.Cond, op.CondValues = cols, vals
	return op
}

// reject returns a Reject of the row with a one-column key, for reason err.
func reject(t *change.TargetTable, key change.Value, err error) change.TargetOp {
	return change.TargetOp{Target: t, Kind: change.Reject, Key: []change.Value{key}, Err: err}
}

// applyBatch applies x's operations as one batch of a worker of s that is
// not one of its running workers, bypassing the queues, so the test
// decides what shares a batch and a statement.
func applyBatch(ctx context.Context, s *Sink, x *change.Txn) error {
	w := newWorker(len(s.workers), s.lanes[0], s)
	from := &origin{source: x.Source, seq: x.Seq, gtid: x.GTID, pos: x.End, begin: x.Begin}
	for i := range x.Ops {
		if err := checkOp(&x.Ops[i]); err != nil {
			return err
		}
		w.b.add(item{op: x.Ops[i], from: from})
	}
	if w.compactable(ctx) {
		w.b.compact()
	}
	return w.apply(ctx)
}
