package dms

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

var update = flag.Bool("update", false, "rewrite testdata/control-records.jsonl")

// controlTxns holds one statement of each kind.
func controlTxns() []*change.Txn {
	at := time.Date(2026, 11, 21, 8, 20, 0, 381466000, time.UTC)
	pos := change.Position{Flavor: change.MariaDB, File: "mysql-bin.000002", Pos: 4096}
	one := func(gtid string, d change.DDL) *change.Txn {
		return &change.Txn{Source: "recipes-primary", Last: true, GTID: gtid, CommitTime: at, Begin: pos, DDL: []change.DDL{d}}
	}
	return []*change.Txn{
		one("0-1-70", change.DDL{Kind: change.DDLTruncate, Schema: "recipes", Table: "cooksnaps"}),
		one("0-1-71", change.DDL{Kind: change.DDLDrop, Schema: "recipes", Table: "cooksnaps"}),
		one("0-1-72", change.DDL{Kind: change.DDLRename, Schema: "recipes", Table: "cooksnaps", NewSchema: "archive", NewTable: "cooksnaps_old"}),
		one("", change.DDL{Kind: change.DDLAlter, Schema: "recipes", Table: "cooksnaps", Columns: []string{"comment", "user_id"}}),
	}
}

func TestControlGolden(t *testing.T) {
	var got []byte
	for i, txn := range controlTxns() {
		opts := Options{TransactionDetails: i == 0}
		start := len(got)
		got = AppendControl(got, txn, 0, envelope.DDLRow(txn, 0), opts)
		require.True(t, json.Valid(got[start:]), "%s", got[start:])
		got = append(got, '\n')
	}
	path := filepath.Join("testdata", "control-records.jsonl")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// TestControlLayoutMatchesDMS checks a control record against the control
// record DMS wrote in the sample: the same top-level and metadata keys in
// the same order, bar the transaction id DMS leaves out of its own.
func TestControlLayoutMatchesDMS(t *testing.T) {
	var sample []byte
	for _, line := range sampleLines(t) {
		if decode(t, line)["metadata"].(map[string]any)["record-type"] == "control" {
			sample = line
		}
	}
	require.NotNil(t, sample, "a control record in the sample")
	_, wantMeta := keyOrder(t, sample)
	txn := controlTxns()[2]
	got := AppendControl(nil, txn, 0, 0, Options{})
	gotTop, gotMeta := keyOrder(t, got)
	require.Equal(t, []string{"control", "metadata"}, gotTop)
	require.Equal(t, append(wantMeta, "transaction-id"), gotMeta)
	meta := decode(t, got)["metadata"].(map[string]any)
	require.Equal(t, "control", meta["record-type"])
	require.Equal(t, "rename-table", meta["operation"])
	require.Equal(t, json.Number("72"), meta["transaction-id"], "the transaction's id, as its data records carry")
}

func TestControlOperation(t *testing.T) {
	for kind, want := range map[change.DDLKind]string{
		change.DDLTruncate: "truncate-table", change.DDLDrop: "drop-table",
		change.DDLRename: "rename-table", change.DDLAlter: "change-columns", "create": "",
	} {
		require.Equal(t, want, ControlOperation(kind), "%s", kind)
	}
}
