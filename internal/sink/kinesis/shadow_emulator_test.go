package kinesis

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
)

// TestShadowComparisonThroughTheEmulator sends the changes of the DMS
// fixtures through the sink and the emulator in the dms format, with the
// settings of the task that wrote them, captures the stream as
// `aws kinesis get-records` prints records (base64 Data), and compares
// the capture with the records DMS wrote for the same changes
// (testdata/dms-shadow-reference.jsonl): they must carry the same records.
func TestShadowComparisonThroughTheEmulator(t *testing.T) {
	e := startEmulator(t)
	// Two shards: the create-table record goes to both, DMS's to one.
	stream := e.streamOf(t, "shadow", 2)
	s := e.open(t, Options{Format: FormatDMS, Stream: stream, PartitionKey: PartitionKeyTable, DMS: &DMSOptions{
		ColumnFilter: dms.ColumnFilterPKOnly, TransactionDetails: true, PartitionValue: true,
		PartitionIncludeSchemaTable: true, ControlDetails: true, TaskID: "shadow-task",
	}}, nil)

	foo := &change.Table{Schema: "public", Name: "foo", PrimaryKey: []int{2}, Columns: []change.Column{
		{Name: "age", Kind: change.KindInt, Type: "int", Nullable: true},
		{Name: "attributes", Kind: change.KindString, Type: "text", Nullable: true},
		{Name: "id", Kind: change.KindInt, Type: "int"},
		{Name: "name", Kind: change.KindString, Type: "text", Nullable: true},
	}}
	john := change.Row{int64(30), `{"foo": "bar"}`, int64(42), "John"}
	john33 := change.Row{int64(33), `{"foo": "bar"}`, int64(42), "John"}
	jane := change.Row{int64(31), `{"baz": "qux"}`, int64(46), "Jane"}
	jane45 := change.Row{int64(31), `{"baz": "qux"}`, int64(45), "Jane"}
	seq := uint64(0)
	txn := func(c change.RowChange) *change.Txn {
		seq++
		c.Table = foo
		begin := change.Position{File: "mysql-bin.000002", Pos: uint32(1000 * seq)}
		end := begin
		end.Pos += 500
		return &change.Txn{Source: "mysql", Seq: seq, Last: true, GTID: "0-1-" + itoa(int64(1137+seq)),
			CommitTime: time.Date(2024, 7, 29, 0, 58, int(seq), 0, time.UTC), Begin: begin, End: end,
			Changes: []change.RowChange{c}}
	}
	for _, tx := range []*change.Txn{
		txn(change.RowChange{Op: change.Read, After: john}),
		txn(change.RowChange{Op: change.Insert, After: jane}),
		txn(change.RowChange{Op: change.Update, Before: john, After: john33, Changed: []int{0}}),
		// The key-changing update: with the table partition key it stays
		// one record, as DMS's.
		txn(change.RowChange{Op: change.Update, Before: jane, After: jane45, Changed: []int{2}}),
		txn(change.RowChange{Op: change.Delete, Before: jane45}),
	} {
		require.NoError(t, s.Apply(t.Context(), tx))
	}
	flush(t, s)

	// The capture, as get-records prints records, one a line.
	var capture strings.Builder
	for _, r := range e.readAll(t, stream, 7) {
		line, err := json.Marshal(map[string]string{"PartitionKey": r.pk, "Data": base64.StdEncoding.EncodeToString(r.data)})
		require.NoError(t, err)
		capture.Write(line)
		capture.WriteByte('\n')
	}
	ours, err := dms.ReadCapture(strings.NewReader(capture.String()))
	require.NoError(t, err)
	f, err := os.Open(filepath.Join("testdata", "dms-shadow-reference.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	theirs, err := dms.ReadCapture(f)
	require.NoError(t, err)

	res := dms.Compare(ours, theirs, dms.IgnoredFields)
	for _, d := range res.Differences {
		switch {
		case d.Ours == nil:
			t.Errorf("only in the DMS capture: %s", d.Theirs.Describe())
		case d.Theirs == nil:
			t.Errorf("only in ours: %s", d.Ours.Describe())
		default:
			t.Errorf("ours %s differs from DMS's %s in %v", d.Ours.Describe(), d.Theirs.Describe(), d.Fields)
		}
	}
	require.Equal(t, 6, res.Equal, "%s", capture.String())

	// A capture that lost a record is told apart.
	var lost []dms.Record
	for _, r := range ours {
		if r.Fields["metadata"].(map[string]any)["operation"] != "delete" {
			lost = append(lost, r)
		}
	}
	res = dms.Compare(lost, theirs, dms.IgnoredFields)
	require.Len(t, res.Differences, 1)
	require.Nil(t, res.Differences[0].Ours)
	require.Equal(t, "delete", res.Differences[0].Theirs.Fields["metadata"].(map[string]any)["operation"])
}
