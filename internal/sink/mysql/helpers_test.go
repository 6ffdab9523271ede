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

// sink opens a sink on the target, closed when the test ends.
func (tg *target) sink(t testing.TB, opts Options) *Sink {
	t.Helper()
	opts.DSN = tg.srv.DSN("root", "", "tgt")
	s, err := New(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
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
