package dms

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// taskRecords returns the records real DMS tasks wrote (see
// testdata/dms-task-records.md), in file order.
func taskRecords(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "dms-task-records.jsonl"))
	require.NoError(t, err)
	var out [][]byte
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		out = append(out, []byte(line))
	}
	return out
}

// foo is the fixtures' table public.foo.
var foo = &change.Table{
	Schema: "public", Name: "foo",
	Columns: []change.Column{
		{Name: "age", Kind: change.KindInt, Type: "int", Nullable: true},
		{Name: "attributes", Kind: change.KindString, Type: "text", Nullable: true},
		{Name: "id", Kind: change.KindInt, Type: "int"},
		{Name: "name", Kind: change.KindString, Type: "text", Nullable: true},
	},
	PrimaryKey: []int{2},
}

// taskOpts are the settings the fixtures' task ran with.
var taskOpts = Options{
	BeforeImage: true, ColumnFilter: ColumnFilterPKOnly, TransactionDetails: true,
	PartitionValue: true, PartitionIncludeSchemaTable: true, TaskID: "serv-res-id-1722195358878-yhru",
}

// ourRecords encodes the fixtures' changes, in their order.
func ourRecords(t *testing.T) [][]byte {
	at := time.Date(2024, 7, 29, 0, 58, 17, 974340000, time.UTC)
	txn := func(gtid string, pos uint32, c change.RowChange) *change.Txn {
		c.Table = foo
		return &change.Txn{Source: "pg", Last: true, GTID: gtid, CommitTime: at,
			Begin:   change.Position{File: "mysql-bin-changelog.000002", Pos: pos},
			End:     change.Position{File: "mysql-bin-changelog.000002", Pos: pos + 200},
			Changes: []change.RowChange{c}}
	}
	jane := change.Row{int64(31), `{"baz": "qux"}`, int64(46), "Jane"}
	john := change.Row{int64(30), `{"foo": "bar"}`, int64(42), "John"}
	john33 := change.Row{int64(33), `{"foo": "bar"}`, int64(42), "John"}
	jane45 := change.Row{int64(31), `{"baz": "qux"}`, int64(45), "Jane"}
	schemaTable := taskOpts
	schemaTable.PartitionKeyType = PartitionKeySchemaTable
	ins := txn("0-1-1139", 1000, change.RowChange{Op: change.Insert, After: jane})
	upd := txn("0-1-1140", 2000, change.RowChange{Op: change.Update, Before: john, After: john33, Changed: []int{0}})
	pk := txn("0-1-1141", 3000, change.RowChange{Op: change.Update, Before: jane, After: jane45, Changed: []int{2}})
	del := txn("0-1-1144", 4000, change.RowChange{Op: change.Delete, Before: jane45})
	drop := &change.Txn{Source: "pg", Last: true, GTID: "0-1-1150", CommitTime: at,
		DDL: []change.DDL{{Kind: change.DDLDrop, Schema: "public", Table: "foo"}}}
	apply := &change.Table{Name: "awsdms_apply_exceptions", Columns: []change.Column{
		{Name: "ERROR", Kind: change.KindString, Type: "text"},
		{Name: "ERROR_TIME", Kind: change.KindDateTime, Type: "datetime"},
		{Name: "STATEMENT", Kind: change.KindString, Type: "text"},
		{Name: "TABLE_NAME", Kind: change.KindString, Type: "varchar(128)"},
		{Name: "TABLE_OWNER", Kind: change.KindString, Type: "varchar(128)"},
		{Name: "TASK_NAME", Kind: change.KindString, Type: "varchar(128)"},
	}}
	otherTask := taskOpts
	otherTask.TaskID = "7QBLNBTPCNDEBG7CHI3WA73YFA"
	return [][]byte{
		AppendCreateTable(nil, foo, at, taskOpts),
		AppendControl(nil, drop, 0, envelope.DDLRow(drop, 0), taskOpts),
		AppendCreateTable(nil, apply, at, otherTask),
		Append(nil, read(txn("0-1-1138", 500, change.RowChange{Op: change.Insert, After: john})), 0, 0, taskOpts),
		Append(nil, ins, 0, 0, schemaTable),
		AppendAfter(nil, upd, 0, 0, Context{Prev: Prev{ID: TransactionID(ins), RecordID: 1}}, schemaTable),
		AppendAfter(nil, pk, 0, 0, Context{Prev: Prev{ID: TransactionID(upd), RecordID: 1}}, schemaTable),
		AppendAfter(nil, del, 0, 0, Context{Prev: Prev{ID: TransactionID(pk), RecordID: 1}}, schemaTable),
	}
}

// extraControlFields are the metadata fields a control record of a table
// statement carries beyond DMS's: its transaction's.
var extraControlFields = []string{"transaction-id", "transaction-record-id", "commit-timestamp", "stream-position"}

var (
	timestampShape = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	positiveInt    = regexp.MustCompile(`^[1-9][0-9]*$`)
)

// TestMatchesTaskRecords holds each record to the record a real DMS task
// wrote for the same change: the same fields at the top, in "metadata"
// and in "control", values of the same JSON type and shape, and equal
// values where they do not depend on when and where the task ran.
func TestMatchesTaskRecords(t *testing.T) {
	theirs, ours := taskRecords(t), ourRecords(t)
	require.Len(t, ours, len(theirs))
	for i := range theirs {
		want, got := decode(t, theirs[i]), decode(t, ours[i])
		wantMeta, gotMeta := want["metadata"].(map[string]any), got["metadata"].(map[string]any)
		t.Run(wantMeta["operation"].(string)+"/"+wantMeta["table-name"].(string), func(t *testing.T) {
			require.True(t, json.Valid(ours[i]), "%s", ours[i])
			require.Equal(t, keys(want), keys(got), "top-level fields\nwant %s\ngot  %s", theirs[i], ours[i])
			gotKeys := keys(gotMeta)
			if wantMeta["operation"] == OpDropTable {
				gotKeys = slices.DeleteFunc(gotKeys, func(k string) bool { return slices.Contains(extraControlFields, k) })
			}
			require.Equal(t, keys(wantMeta), gotKeys, "metadata fields\nwant %s\ngot  %s", theirs[i], ours[i])
			for k, w := range wantMeta {
				require.IsType(t, w, gotMeta[k], "metadata %q", k)
			}
			for _, k := range []string{"timestamp", "commit-timestamp"} {
				if v, ok := gotMeta[k]; ok {
					require.Regexp(t, timestampShape, v, k)
				}
			}
			for _, k := range []string{"transaction-id", "transaction-record-id", "prev-transaction-id", "prev-transaction-record-id"} {
				if v, ok := gotMeta[k]; ok {
					require.Regexp(t, positiveInt, string(v.(json.Number)), k)
				}
			}
			for _, k := range []string{"record-type", "operation", "partition-key-type", "partition-key-value",
				"schema-name", "table-name", "transaction-record-id", "prev-transaction-record-id"} {
				if wantMeta["operation"] == OpDropTable && slices.Contains(extraControlFields, k) {
					continue
				}
				require.Equal(t, wantMeta[k], gotMeta[k], "metadata %q", k)
			}
			require.Equal(t, want["control"], got["control"], "control")
			for _, k := range []string{"data", "before-image"} {
				if w, ok := want[k].(map[string]any); ok && k == "before-image" && len(w) == 0 {
					// PostgreSQL logs no old key for an update that kept
					// it; MySQL's full row image has it (pk-only).
					require.Equal(t, map[string]any{"id": json.Number("42")}, got[k])
					continue
				}
				if want[k] == nil {
					require.Nil(t, got[k], k)
					continue
				}
				if wantMeta["operation"] == "delete" {
					// PostgreSQL logs only a deleted row's key.
					require.Equal(t, want[k].(map[string]any)["id"], got[k].(map[string]any)["id"])
					continue
				}
				require.Equal(t, want[k], got[k], k)
			}
		})
	}
}

// keys returns m's keys, sorted.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
