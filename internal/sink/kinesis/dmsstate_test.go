package kinesis

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// insertTxns returns n one-insert transactions of source src into tenants,
// the second with two rows split over two parts.
func insertTxns(src string) []*change.Txn {
	ins := func(id int64) change.RowChange {
		return change.RowChange{Table: tenants, Op: change.Insert, After: change.Row{id, int64(1), "v"}}
	}
	pos := func(p uint32) change.Position { return change.Position{File: "mysql-bin.000001", Pos: p} }
	return []*change.Txn{
		{Source: src, Seq: 1, Last: true, GTID: "0-1-10", Begin: pos(100), End: pos(200), Changes: []change.RowChange{ins(1)}},
		{Source: src, Seq: 2, Part: 0, GTID: "0-1-11", Begin: pos(200), Changes: []change.RowChange{ins(2)}},
		{Source: src, Seq: 2, Part: 1, FirstRow: 1, Last: true, GTID: "0-1-11", Begin: pos(200), End: pos(400), Changes: []change.RowChange{ins(3)}},
		{Source: src, Seq: 3, Last: true, GTID: "0-1-12", Begin: pos(400), End: pos(500), Changes: []change.RowChange{ins(4)}},
	}
}

func TestDMSTransactionDetailsAcrossTransactions(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{Format: FormatDMS, PartitionKey: "constant:all",
		DMS: &DMSOptions{TransactionDetails: true, ControlDetails: true, PartitionValue: true, TaskID: "task-1"}})
	for _, txn := range insertTxns("src") {
		require.NoError(t, s.Apply(t.Context(), txn))
	}
	flush(t, s)
	var metas []map[string]any
	var control []map[string]any
	for _, lines := range f.lines() {
		for _, line := range lines {
			var rec map[string]any
			dec := json.NewDecoder(bytes.NewReader([]byte(line)))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&rec))
			meta := rec["metadata"].(map[string]any)
			if meta["record-type"] == "control" {
				control = append(control, rec)
				continue
			}
			metas = append(metas, meta)
		}
	}
	require.Len(t, control, 1, "one create-table record for the one table")
	require.Equal(t, "create-table", control[0]["metadata"].(map[string]any)["operation"])
	require.Equal(t, "task-1", control[0]["metadata"].(map[string]any)["partition-key-value"])
	require.Equal(t, []any{"id"}, control[0]["control"].(map[string]any)["table-def"].(map[string]any)["primary-key"])

	require.Len(t, metas, 4)
	type want struct{ id, rec, prevID, prevRec string }
	wants := []want{{"10", "1", "", ""}, {"11", "1", "10", "1"}, {"11", "2", "10", "1"}, {"12", "1", "11", "2"}}
	for i, w := range wants {
		m := metas[i]
		require.Equal(t, json.Number(w.id), m["transaction-id"], "record %d", i)
		require.Equal(t, json.Number(w.rec), m["transaction-record-id"], "record %d", i)
		if w.prevID == "" {
			require.NotContains(t, m, "prev-transaction-id", "the first transaction after a start has none")
			continue
		}
		require.Equal(t, json.Number(w.prevID), m["prev-transaction-id"], "record %d", i)
		require.Equal(t, json.Number(w.prevRec), m["prev-transaction-record-id"], "record %d", i)
	}
	require.Equal(t, "mysql-bin.000001:200:-1:200:11:mysql-bin.000001:200", metas[1]["stream-position"], "not the last record")
	require.Equal(t, "mysql-bin.000001:400:-1:400:11:mysql-bin.000001:200", metas[2]["stream-position"], "after the transaction")
}

// TestDMSStreamPositionOfTheLastRecord: only the transaction's last
// record on a stream names the position after it, whatever goes to other
// streams, and the first half of a split update never does.
func TestDMSStreamPositionOfTheLastRecord(t *testing.T) {
	other := &change.Table{Schema: "shop", Name: "other", Columns: tenants.Columns, PrimaryKey: []int{0}}
	f := newFake(1)
	s := fakeSink(t, f, Options{Format: FormatDMS, Stream: "main", DMS: &DMSOptions{TransactionDetails: true},
		Routes: []Route{{Tables: "shop.other", Stream: "side"}}})
	pos := func(p uint32) change.Position { return change.Position{File: "mysql-bin.000001", Pos: p} }
	txn := &change.Txn{Source: "src", Seq: 1, Last: true, GTID: "0-1-7", Begin: pos(100), End: pos(900),
		Changes: []change.RowChange{
			{Table: tenants, Op: change.Insert, After: change.Row{int64(1), int64(1), "a"}},
			{Table: tenants, Op: change.Update, Before: change.Row{int64(1), int64(1), "a"},
				After: change.Row{int64(2), int64(1), "a"}, Changed: []int{0}},
			{Table: other, Op: change.Insert, After: change.Row{int64(9), int64(1), "z"}},
		}}
	require.NoError(t, s.Apply(t.Context(), txn))
	flush(t, s)
	positions := map[string][]any{}
	for pk, lines := range f.lines() {
		for _, line := range lines {
			var rec map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &rec))
			meta := rec["metadata"].(map[string]any)
			positions[pk] = append(positions[pk], meta["operation"], meta["stream-position"])
		}
	}
	const start, after = "mysql-bin.000001:100:-1:100:7:mysql-bin.000001:100", "mysql-bin.000001:900:-1:900:7:mysql-bin.000001:100"
	require.Equal(t, map[string][]any{
		`["shop","carts",1]`: {"insert", start, "delete", start},
		`["shop","carts",2]`: {"insert", after},
		`["shop","other",9]`: {"insert", after},
	}, positions)
}
