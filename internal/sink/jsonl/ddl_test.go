package jsonl

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

func TestTableStatementsWriteControlRecords(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	ctx := context.Background()
	// Rows, then a TRUNCATE (a transaction of its own, without rows), then
	// a RENAME and a DROP in one statement, then rows again.
	truncate := part("a", 2, 0, true, 0, 0)
	truncate.DDL = []change.DDL{{Kind: change.DDLTruncate, Schema: "accounts", Table: "users"}}
	rename := part("a", 3, 0, true, 0, 0)
	rename.DDL = []change.DDL{
		{Kind: change.DDLRename, Schema: "accounts", Table: "users", NewSchema: "accounts", NewTable: "users_old"},
		{Kind: change.DDLDrop, Schema: "accounts", Table: "users_tmp"},
	}
	for _, txn := range []*change.Txn{part("a", 1, 0, true, 0, 2), truncate, rename, part("a", 4, 0, true, 5, 1)} {
		require.NoError(t, s.Apply(ctx, txn))
	}
	require.NoError(t, s.Flush(ctx))
	require.NoError(t, s.Close())

	type line struct {
		op, ddl, table, newTable string
		row                      int
	}
	var got []line
	for _, e := range decodeLines(t, out.Bytes()) {
		got = append(got, line{e.Op, e.DDL, e.Table, e.NewTable, e.Row})
	}
	require.Equal(t, []line{
		{"insert", "", "users", "", 0},
		{"insert", "", "users", "", 1},
		{envelope.OpDDL, "truncate", "users", "", 0},
		{envelope.OpDDL, "rename", "users", "users_old", 0},
		{envelope.OpDDL, "drop", "users_tmp", "", 1},
		{"insert", "", "users", "", 0},
	}, got)
}

func TestControlRecordsNumberedAfterTheRows(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	// The last part of a transaction whose earlier parts held 4 rows.
	txn := part("a", 1, 1, true, 4, 2)
	txn.FirstRow = 4
	txn.DDL = []change.DDL{{Kind: change.DDLAlter, Schema: "accounts", Table: "users", Columns: []string{"name"}}}
	require.NoError(t, s.Apply(context.Background(), txn))
	require.NoError(t, s.Close())
	var rows []int
	for _, e := range decodeLines(t, out.Bytes()) {
		rows = append(rows, e.Row)
	}
	require.Equal(t, []int{4, 5, 6}, rows)
}

func TestInvalidStatementWritesNothing(t *testing.T) {
	var out bytes.Buffer
	s, err := New(Options{Path: "-", Out: &out})
	require.NoError(t, err)
	txn := part("a", 1, 0, true, 0, 2)
	txn.DDL = []change.DDL{{Kind: change.DDLRename, Schema: "accounts", Table: "users"}}
	require.ErrorContains(t, s.Apply(context.Background(), txn), "rename of accounts.users without the new name")
	require.NoError(t, s.Close())
	require.Empty(t, out.String())
}
