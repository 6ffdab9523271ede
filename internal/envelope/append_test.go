package envelope

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.jsonl")

func TestAppendGolden(t *testing.T) {
	var got []byte
	for _, txn := range goldenTxns() {
		row := 0
		if txn.Part > 0 {
			row = 2 // the first part of the same transaction held two changes
		}
		for i := range txn.Changes {
			start := len(got)
			got = Append(got, txn, i, row+i)
			require.True(t, json.Valid(got[start:]), "line %s", got[start:])
			got = append(got, '\n')
		}
	}
	// The last two lines: the key-changing update of the first transaction
	// (id 42 to 43) split as a sink keying by primary key sends it.
	got = append(appendHalves(got, goldenTxns()[0], 1, 1), '\n')
	path := filepath.Join("testdata", "golden.jsonl")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestAppendKeepsPrefix(t *testing.T) {
	txn := goldenTxns()[0]
	prefix := []byte("prefix ")
	got := Append(bytes.Clone(prefix), txn, 0, 0)
	require.True(t, bytes.HasPrefix(got, prefix))
	require.Equal(t, Append(nil, txn, 0, 0), got[len(prefix):])
}

func TestAppendFields(t *testing.T) {
	txns := goldenTxns()
	tests := []struct {
		name    string
		txn     int
		change  int
		row     int
		op      string
		key     Image
		before  bool
		after   bool
		changed []string
		gtid    string
	}{
		{name: "insert", txn: 0, change: 0, row: 0, op: "insert",
			key: Image{"id": json.Number("42")}, after: true, gtid: "0-1-55"},
		{name: "update keyed by after image", txn: 0, change: 1, row: 1, op: "update",
			key: Image{"id": json.Number("43")}, before: true, after: true,
			changed: []string{"id", "amount", "name"}, gtid: "0-1-55"},
		{name: "delete keyed by before image", txn: 1, change: 0, row: 2, op: "delete",
			key: Image{"id": json.Number("43")}, before: true, gtid: "0-1-55"},
		{name: "no primary key", txn: 2, change: 0, row: 0, op: "delete",
			key: Image{"kind": "", "payload": nil}, before: true},
		{name: "composite key", txn: 2, change: 1, row: 1, op: "insert",
			key: Image{"order": json.Number("1"), "item": json.Number("9")}, after: true},
		{name: "update without changed columns", txn: 2, change: 2, row: 2, op: "update",
			key: Image{"order": json.Number("1"), "item": json.Number("9")}, before: true, after: true,
			changed: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txn := txns[tt.txn]
			e, err := Decode(Append(nil, txn, tt.change, tt.row))
			require.NoError(t, err)
			require.Equal(t, txn.Source, e.Source)
			require.Equal(t, txn.Changes[tt.change].Table.Schema, e.Schema)
			require.Equal(t, txn.Changes[tt.change].Table.Name, e.Table)
			require.Equal(t, tt.op, e.Op)
			require.Equal(t, tt.key, e.Key)
			require.Equal(t, tt.before, e.Before != nil, "before present")
			require.Equal(t, tt.after, e.After != nil, "after present")
			require.Equal(t, tt.changed, e.Changed)
			require.True(t, txn.CommitTime.Truncate(1000).Equal(e.CommitTime))
			require.Equal(t, tt.gtid, e.GTID)
			require.Equal(t, Binlog{File: txn.Begin.File, Pos: txn.Begin.Pos}, e.Binlog)
			require.Equal(t, tt.row, e.Row)
		})
	}
}

func TestAppendChangedInColumnOrder(t *testing.T) {
	txn := goldenTxns()[0]
	txn.Changes[1].Changed = []int{10, 0, 4}
	e, err := Decode(Append(nil, txn, 1, 1))
	require.NoError(t, err)
	require.Equal(t, []string{"id", "amount", "name"}, e.Changed)
	require.Equal(t, []int{10, 0, 4}, txn.Changes[1].Changed, "the change is not modified")
}

func TestAppendChangedPresentOnlyForUpdates(t *testing.T) {
	for _, txn := range goldenTxns() {
		for i, c := range txn.Changes {
			line := Append(nil, txn, i, i)
			require.Equal(t, c.Op.String() == "update", bytes.Contains(line, []byte(`"changed":[`)), "%s", line)
		}
	}
}

func TestAppendAgreesWithEncodingJSON(t *testing.T) {
	txn := typicalUpdate()
	want, err := json.Marshal(asMap(txn))
	require.NoError(t, err)
	wantEnv, err := Decode(want)
	require.NoError(t, err)
	gotEnv, err := Decode(Append(nil, txn, 0, 0))
	require.NoError(t, err)
	require.Equal(t, wantEnv, gotEnv)
}

// A row a backfill read carries its after image only and no changed
// columns, like an insert, under its own op.
func TestAppendRead(t *testing.T) {
	txn := goldenTxns()[0]
	read := txn.Changes[0]
	read.Op = change.Read
	txn.Changes = []change.RowChange{read}
	line := Append(nil, txn, 0, 7)
	e, err := Decode(line)
	require.NoError(t, err)
	require.Equal(t, "read", e.Op)
	require.Nil(t, e.Before)
	require.NotNil(t, e.After)
	require.Nil(t, e.Changed)
	require.Equal(t, Image{"id": json.Number("42")}, e.Key)
	require.Equal(t, 7, e.Row)
	require.NotContains(t, string(line), `"before"`)
}
