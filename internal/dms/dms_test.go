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
				"table-name", "transaction-id", "transaction-record-id", "commit-timestamp", "stream-position"},
			contains: []string{`"transaction-record-id":8,"commit-timestamp":"2026-11-21T08:15:09.004512Z",` +
				`"stream-position":"mysql-bin.000002:79:-1:79:8589934671:mysql-bin.000002:79"}}`},
			lacks: []string{"prev-transaction"},
		},
		{
			name: "a backfilled row has no transaction fields", txn: read(insert), opts: Options{TransactionDetails: true},
			meta: []string{"timestamp", "record-type", "operation", "partition-key-type", "schema-name", "table-name"},
		},
		{
			name: "pk-only before image", txn: update, opts: Options{BeforeImage: true, ColumnFilter: ColumnFilterPKOnly},
			contains: []string{`"before-image":{"id":101},`},
		},
		{
			name: "non-lob before image leaves out text and blob", txn: lobUpdate(),
			opts:     Options{BeforeImage: true, ColumnFilter: ColumnFilterNonLOB},
			contains: []string{`"before-image":{"id":1,"title":"a"},`, `"data":{"id":1,"title":"b","body":"x","doc":"{}","pic":"AQ=="}`},
		},
		{
			name: "all before image", txn: update, opts: Options{BeforeImage: true, ColumnFilter: ColumnFilterAll},
			contains: []string{`"before-image":{"id":101,"recipe_id":10,"user_id":2,"comment":"yum"},`},
		},
		{
			name: "partition value of the primary key", txn: insert, opts: Options{PartitionValue: true},
			contains: []string{`"partition-key-type":"primary-key","partition-key-value":"101","schema-name"`},
		},
		{
			name: "partition value with schema and table", txn: insert,
			opts:     Options{PartitionValue: true, PartitionIncludeSchemaTable: true},
			contains: []string{`"partition-key-value":"recipes.cooksnaps.101"`},
		},
		{
			name: "no partition value for schema-table", txn: insert,
			opts:  Options{PartitionValue: true, PartitionKeyType: PartitionKeySchemaTable},
			lacks: []string{"partition-key-value"},
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

// lobUpdate updates a row of a table with TEXT, JSON and BLOB columns.
func lobUpdate() *change.Txn {
	table := &change.Table{Schema: "s", Name: "docs", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Kind: change.KindInt, Type: "int"},
		{Name: "title", Kind: change.KindString, Type: "varchar(20)"},
		{Name: "body", Kind: change.KindString, Type: "mediumtext"},
		{Name: "doc", Kind: change.KindJSON, Type: "json"},
		{Name: "pic", Kind: change.KindBytes, Type: "blob"},
	}}
	before := change.Row{int64(1), "a", "x", change.JSON("{}"), []byte{1}}
	after := change.Row{int64(1), "b", "x", change.JSON("{}"), []byte{1}}
	return &change.Txn{Last: true, Changes: []change.RowChange{{Table: table, Op: change.Update, Before: before, After: after, Changed: []int{1}}}}
}

func TestPrevTransaction(t *testing.T) {
	txn := sampleTxns()[1]
	meta := decode(t, AppendAfter(nil, txn, 0, 2, Context{Prev: Prev{ID: 66, RecordID: 4}}, Options{TransactionDetails: true}))["metadata"].(map[string]any)
	require.Equal(t, json.Number("3"), meta["transaction-record-id"])
	require.Equal(t, json.Number("66"), meta["prev-transaction-id"])
	require.Equal(t, json.Number("4"), meta["prev-transaction-record-id"])
	require.NotContains(t, string(AppendAfter(nil, txn, 0, 0, Context{Prev: Prev{ID: 1, RecordID: 1}}, Options{})), "prev-",
		"transaction details are off")
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
	err := Options{PartitionKeyType: "task-id", BeforeImageField: "metadata", ColumnFilter: "lob"}.Validate()
	require.ErrorIs(t, err, ErrInvalidOptions)
	require.ErrorContains(t, err, `column filter "lob"`)
	require.ErrorContains(t, err, `partition key type "task-id"`)
	require.ErrorContains(t, err, `before image field "metadata"`)
}

// Without IncludeNullAndEmpty, as DMS's default, NULL values and empty
// strings are left out of the data and the before image.
func TestOmitNullAndEmpty(t *testing.T) {
	update := sampleTxns()[1]
	c := update.Changes[0]
	c.Before = change.Row{c.Before[0], nil, c.Before[2], ""}
	c.After = change.Row{c.After[0], nil, c.After[2], "yum"}
	update.Changes = []change.RowChange{c}
	got := string(AppendAfter(nil, update, 0, 0, Context{}, Options{BeforeImage: true, OmitNullAndEmpty: true}))
	require.Contains(t, got, `"data":{"id":101,"user_id":2,"comment":"yum"}`)
	require.Contains(t, got, `"before-image":{"id":101,"user_id":2}`)
	got = string(AppendAfter(nil, update, 0, 0, Context{}, Options{BeforeImage: true}))
	require.Contains(t, got, `"data":{"id":101,"recipe_id":null,"user_id":2,"comment":"yum"}`)
	require.Contains(t, got, `"before-image":{"id":101,"recipe_id":null,"user_id":2,"comment":""}`)
}
