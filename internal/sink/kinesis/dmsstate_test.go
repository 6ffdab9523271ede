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
