package envelope

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ddlTxns returns the transactions whose control records are in
// testdata/golden-ddl.jsonl: one statement of each kind, the last two
// without GTIDs and with two statements in one transaction.
func ddlTxns() []*change.Txn {
	at := time.Date(2026, 11, 22, 3, 56, 48, 123456789, time.UTC)
	pos := change.Position{Flavor: change.MariaDB, File: "mysql-bin.000003", Pos: 2048}
	return []*change.Txn{
		{Source: "jp-accounts", Seq: 8, Last: true, GTID: "0-1-56", CommitTime: at, Begin: pos,
			DDL: []change.DDL{{Kind: change.DDLTruncate, Schema: "accounts", Table: "users"}}},
		{Source: "jp-accounts", Seq: 9, Last: true, GTID: "0-1-57", CommitTime: at, Begin: pos,
			DDL: []change.DDL{{Kind: change.DDLAlter, Schema: "accounts", Table: "users", Columns: []string{"email", "näme \"q\""}}}},
		{Source: "eu-logs", Seq: 2, Last: true, CommitTime: at, Begin: change.Position{Flavor: change.MySQL, File: "binlog.000001", Pos: 4},
			DDL: []change.DDL{
				{Kind: change.DDLRename, Schema: "logs", Table: "events", NewSchema: "archive", NewTable: "events_2026"},
				{Kind: change.DDLDrop, Schema: "logs", Table: "events_tmp"},
			}},
	}
}

func TestAppendDDLGolden(t *testing.T) {
	var got []byte
	for _, txn := range ddlTxns() {
		for j := range txn.DDL {
			require.NoError(t, CheckDDL(&txn.DDL[j]))
			start := len(got)
			got = AppendDDL(got, txn, j, DDLRow(txn, j))
			require.True(t, json.Valid(got[start:]), "line %s", got[start:])
			got = append(got, '\n')
		}
	}
	path := filepath.Join("testdata", "golden-ddl.jsonl")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestAppendDDLDecodes(t *testing.T) {
	txns := ddlTxns()
	tests := []struct {
		name string
		txn  *change.Txn
		j    int
		want Envelope
	}{
		{"truncate", txns[0], 0, Envelope{Source: "jp-accounts", Schema: "accounts", Table: "users", Op: OpDDL,
			DDL: "truncate", GTID: "0-1-56", Binlog: Binlog{File: "mysql-bin.000003", Pos: 2048}}},
		{"alter names its columns", txns[1], 0, Envelope{Source: "jp-accounts", Schema: "accounts", Table: "users", Op: OpDDL,
			DDL: "alter", Columns: []string{"email", "näme \"q\""}, GTID: "0-1-57", Binlog: Binlog{File: "mysql-bin.000003", Pos: 2048}}},
		{"rename names the new table", txns[2], 0, Envelope{Source: "eu-logs", Schema: "logs", Table: "events", Op: OpDDL,
			DDL: "rename", NewSchema: "archive", NewTable: "events_2026", Binlog: Binlog{File: "binlog.000001", Pos: 4}}},
		{"second statement numbered after the first", txns[2], 1, Envelope{Source: "eu-logs", Schema: "logs", Table: "events_tmp", Op: OpDDL,
			DDL: "drop", Binlog: Binlog{File: "binlog.000001", Pos: 4}, Row: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Decode(AppendDDL(nil, tt.txn, tt.j, DDLRow(tt.txn, tt.j)))
			require.NoError(t, err)
			require.True(t, tt.txn.CommitTime.Truncate(time.Microsecond).Equal(e.CommitTime))
			e.CommitTime = time.Time{}
			require.Equal(t, tt.want, e)
		})
	}
}

func TestDDLRowFollowsTheChanges(t *testing.T) {
	txn := &change.Txn{FirstRow: 5, Changes: make([]change.RowChange, 3), DDL: make([]change.DDL, 2)}
	require.Equal(t, 8, DDLRow(txn, 0))
	require.Equal(t, 9, DDLRow(txn, 1))
}

func TestCheckDDL(t *testing.T) {
	tests := []struct {
		name string
		d    change.DDL
		err  string
	}{
		{"unknown kind", change.DDL{Kind: "create", Schema: "s", Table: "t"}, `unknown kind "create"`},
		{"no table", change.DDL{Kind: change.DDLDrop, Schema: "s"}, "without a schema and table"},
		{"rename without new name", change.DDL{Kind: change.DDLRename, Schema: "s", Table: "t"}, "without the new name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDDL(&tt.d)
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestDecodeRejectsMalformedControlRecords(t *testing.T) {
	const tail = `"commit_time":"2026-11-22T03:56:48.123456Z","binlog":{"file":"b.1","pos":4},"row":0}`
	tests := []struct {
		name, line, err string
	}{
		{"unknown kind", `{"source":"s","schema":"a","table":"t","op":"ddl","ddl":"create",` + tail, `unknown ddl "create"`},
		{"no kind", `{"source":"s","schema":"a","table":"t","op":"ddl",` + tail, `unknown ddl ""`},
		{"rename without new name", `{"source":"s","schema":"a","table":"t","op":"ddl","ddl":"rename",` + tail, "without new_schema"},
		{"new name on a drop", `{"source":"s","schema":"a","table":"t","op":"ddl","ddl":"drop","new_schema":"a","new_table":"u",` + tail, "new_schema or new_table on a drop"},
		{"columns on a truncate", `{"source":"s","schema":"a","table":"t","op":"ddl","ddl":"truncate","columns":["c"],` + tail, "columns on a truncate"},
		{"row fields", `{"source":"s","schema":"a","table":"t","op":"ddl","ddl":"drop","key":{"id":1},` + tail, "row fields"},
		{"ddl on a row change", `{"source":"s","schema":"a","table":"t","op":"insert","ddl":"drop","key":{"id":1},"after":{"id":1},` + tail, `table statement fields on op "insert"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.line))
			require.ErrorContains(t, err, tt.err)
		})
	}
}
