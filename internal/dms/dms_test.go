package dms

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// read returns txn with its first change turned into a backfilled row.
func read(txn *change.Txn) *change.Txn {
	out := *txn
	c := txn.Changes[0]
	c.Op, c.Before = change.Read, nil
	out.Changes = []change.RowChange{c}
	return &out
}

func TestAppendOptions(t *testing.T) {
	txns := sampleTxns()
	insert, update, del := txns[0], txns[1], txns[2]
	tests := []struct {
		name     string
		txn      *change.Txn
		row      int
		opts     Options
		top      []string
		meta     []string
		contains []string
		lacks    []string
	}{
		{
			name: "update without before image", txn: update,
			top:      []string{"data", "metadata"},
			contains: []string{`"data":{"id":101,"recipe_id":10,"user_id":2,"comment":"yum, again"}`},
		},
		{
			name: "update with a named before image", txn: update,
			opts:     Options{BeforeImage: true, BeforeImageField: "old \"row\""},
			top:      []string{"data", `old "row"`, "metadata"},
			contains: []string{`,"old \"row\"":{"id":101,"recipe_id":10,"user_id":2,"comment":"yum"},`},
		},
		{
			name: "insert has no before image", txn: insert, opts: Options{BeforeImage: true},
			top: []string{"data", "metadata"},
		},
		{
			name: "delete writes the before image as data", txn: del, opts: Options{BeforeImage: true},
			top:      []string{"data", "metadata"},
			contains: []string{`"data":{"id":101,"recipe_id":10,"user_id":2,"comment":"yum, again"}`, `"operation":"delete"`},
		},
		{
			name: "a backfilled row is a full load record", txn: read(insert), opts: Options{BeforeImage: true},
			top:      []string{"data", "metadata"},
			contains: []string{`"data":{"id":101,"recipe_id":10,"user_id":2,"comment":"yum"}`, `"record-type":"data","operation":"load"`},
		},
		{
			name: "schema-table partition key type", txn: insert, opts: Options{PartitionKeyType: PartitionKeySchemaTable},
			contains: []string{`"partition-key-type":"schema-table"`},
		},
		{
			name: "transaction details", txn: update, row: 7, opts: Options{TransactionDetails: true},
			meta: []string{"timestamp", "record-type", "operation", "partition-key-type", "schema-name",
				"table-name", "transaction-id", "transaction-record-id", "commit-timestamp"},
			contains: []string{`"transaction-record-id":7,"commit-timestamp":"2026-11-21T08:15:09.004512Z"}}`},
			lacks:    []string{"prev-transaction"},
		},
		{
			name: "no transaction details by default", txn: update,
			meta: []string{"timestamp", "record-type", "operation", "partition-key-type", "schema-name",
				"table-name", "transaction-id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := Append(nil, tt.txn, 0, tt.row, tt.opts)
			require.True(t, json.Valid(line), "%s", line)
			top, meta := keyOrder(t, line)
			if tt.top != nil {
				require.Equal(t, tt.top, top)
			}
			if tt.meta != nil {
				require.Equal(t, tt.meta, meta)
			}
			for _, s := range tt.contains {
				require.Contains(t, string(line), s)
			}
			for _, s := range tt.lacks {
				require.NotContains(t, string(line), s)
			}
		})
	}
}

func TestAppendAppends(t *testing.T) {
	txn := sampleTxns()[0]
	first := Append(nil, txn, 0, 0, Options{})
	both := Append([]byte("prefix\n"), txn, 0, 0, Options{})
	require.Equal(t, "prefix\n"+string(first), string(both))
}

func TestTimestampIsUTCMicroseconds(t *testing.T) {
	txn := sampleTxns()[0]
	txn.CommitTime = time.Date(2026, 11, 21, 17, 15, 2, 381466999, time.FixedZone("JST", 9*3600))
	meta := decode(t, Append(nil, txn, 0, 0, Options{TransactionDetails: true}))["metadata"].(map[string]any)
	require.Equal(t, "2026-11-21T08:15:02.381466Z", meta["timestamp"])
	require.Equal(t, "2026-11-21T08:15:02.381466Z", meta["commit-timestamp"])
}

func TestAppendDoesNotAllocate(t *testing.T) {
	txn := sampleTxns()[1]
	opts := Options{BeforeImage: true, TransactionDetails: true}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], txn, 0, 0, opts) })
	require.Zero(t, allocs)
}

func TestValidate(t *testing.T) {
	require.NoError(t, Options{}.Validate())
	require.NoError(t, Options{BeforeImage: true, BeforeImageField: "old", PartitionKeyType: PartitionKeySchemaTable}.Validate())
	err := Options{PartitionKeyType: "task-id", BeforeImageField: "metadata"}.Validate()
	require.ErrorIs(t, err, ErrInvalidOptions)
	require.ErrorContains(t, err, `partition key type "task-id"`)
	require.ErrorContains(t, err, `before image field "metadata"`)
}
