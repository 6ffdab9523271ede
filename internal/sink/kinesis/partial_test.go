package kinesis

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// With partial row images (binlog_row_image MINIMAL), an update's after
// image holds only the columns the update set, and its before image only
// the primary key: the partition key takes each key column from whichever
// image holds it, so a row keeps one key whatever its updates set.
func TestPartialImagesKeyByWhicheverImageHoldsTheKey(t *testing.T) {
	minimal := func(before, after change.Row) *change.Txn {
		txn := updateTxn(tenants, before, after)
		c := &txn.Changes[0]
		c.BeforeOmitted = []int{1, 2}
		c.AfterOmitted = nil
		for col, v := range after {
			if v == nil {
				c.AfterOmitted = append(c.AfterOmitted, col)
			}
		}
		return txn
	}
	tests := []struct {
		name     string
		pk       string
		txn      *change.Txn
		key, old string
	}{
		{"key left alone", PartitionKeyPrimaryKey, minimal(change.Row{int64(1), nil, nil}, change.Row{nil, int64(8), nil}),
			`["shop","carts",1]`, ""},
		{"key changed", PartitionKeyPrimaryKey, minimal(change.Row{int64(1), nil, nil}, change.Row{int64(2), nil, nil}),
			`["shop","carts",2]`, `["shop","carts",1]`},
		{"expression over the key", PartitionKeyExpression + "string(id)",
			minimal(change.Row{int64(1), nil, nil}, change.Row{nil, nil, "w"}), "1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compileRoutes(&Options{Stream: "x", PartitionKey: tt.pk})[0]
			key, err := r.key(tt.txn, 0)
			require.NoError(t, err)
			require.Equal(t, tt.key, key)
			old, err := r.oldKey(tt.txn, 0, key)
			require.NoError(t, err)
			require.Equal(t, tt.old, old)
			o := originOf(tt.txn, 0, 0, false)
			require.Equal(t, []change.Value{tt.txn.Changes[0].Identity()[0]}, o.key)
			require.NotNil(t, o.key[0])
		})
	}
}
