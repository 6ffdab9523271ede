package kinesis

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// tenants is keyed by id and partitioned by tenant in the expression
// tests; v may be large.
var tenants = &change.Table{Schema: "shop", Name: "carts",
	Columns: []change.Column{{Name: "id", Kind: change.KindInt}, {Name: "tenant", Kind: change.KindInt},
		{Name: "v", Kind: change.KindString}},
	PrimaryKey: []int{0}}

func updateTxn(t *change.Table, before, after change.Row) *change.Txn {
	return &change.Txn{Source: "src", Seq: 1, Last: true, GTID: "0-1-5", FirstRow: 3,
		Begin: change.Position{File: "mysql-bin.000001", Pos: 4}, End: change.Position{File: "mysql-bin.000001", Pos: 90},
		Changes: []change.RowChange{{Table: t, Op: change.Update, Before: before, After: after, Changed: []int{0}}}}
}

func TestOldKey(t *testing.T) {
	noKey := &change.Table{Schema: "s", Name: "log", Columns: []change.Column{{Name: "a"}, {Name: "b"}}}
	row := func(id, tenant int64) change.Row { return change.Row{id, tenant, "v"} }
	tests := []struct {
		name string
		pk   string
		txn  *change.Txn
		want string // "" when the update goes as one record
	}{
		{"primary key changed", PartitionKeyPrimaryKey, updateTxn(tenants, row(1, 7), row(2, 7)), `["shop","carts",1]`},
		{"primary key kept", PartitionKeyPrimaryKey, updateTxn(tenants, row(1, 7), row(1, 8)), ""},
		{"key value of another type but equal", PartitionKeyPrimaryKey,
			updateTxn(tenants, change.Row{int64(1), int64(7), "v"}, change.Row{uint64(1), int64(7), "w"}), ""},
		{"no primary key, a value changed", PartitionKeyPrimaryKey,
			updateTxn(noKey, change.Row{"x", nil}, change.Row{"x", "y"}), hashKey(`["s","log","x",null]`)},
		{"no primary key, nothing changed", PartitionKeyPrimaryKey,
			updateTxn(noKey, change.Row{"x", nil}, change.Row{"x", nil}), ""},
		{"table", PartitionKeyTable, updateTxn(tenants, row(1, 7), row(2, 7)), ""},
		{"transaction", PartitionKeyTransaction, updateTxn(tenants, row(1, 7), row(2, 7)), ""},
		{"constant", PartitionKeyConstant + "all", updateTxn(tenants, row(1, 7), row(2, 7)), ""},
		{"expression moved", PartitionKeyExpression + "tenant", updateTxn(tenants, row(1, 7), row(1, 8)), "7"},
		{"expression kept though the key changed", PartitionKeyExpression + "tenant",
			updateTxn(tenants, row(1, 7), row(2, 7)), ""},
		{"expression on meta.op sees an update in both images", PartitionKeyExpression + `meta.op + string(id)`,
			updateTxn(tenants, row(1, 7), row(1, 8)), ""},
		{"expression on meta.op and a changed key", PartitionKeyExpression + `meta.op + string(id)`,
			updateTxn(tenants, row(1, 7), row(2, 7)), "update1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compileRoutes(&Options{Stream: "x", PartitionKey: tt.pk})[0]
			key, err := r.key(tt.txn, 0)
			require.NoError(t, err)
			old, err := r.oldKey(tt.txn, 0, key)
			require.NoError(t, err)
			require.Equal(t, tt.want, old)
		})
	}

	for _, op := range []change.Op{change.Insert, change.Delete} {
		c := change.RowChange{Table: tenants, Op: op, Before: row(1, 7), After: row(2, 7)}
		txn := &change.Txn{Changes: []change.RowChange{c}}
		r := compileRoutes(&Options{Stream: "x"})[0]
		old, err := r.oldKey(txn, 0, "k")
		require.NoError(t, err)
		require.Empty(t, old, op.String())
	}
	r := compileRoutes(&Options{Stream: "x", PartitionKey: PartitionKeyExpression + `v + "!"`})[0]
	txn := updateTxn(tenants, change.Row{int64(1), int64(7), int64(3)}, row(1, 7))
	_, err := r.oldKey(txn, 0, "v!")
	require.ErrorContains(t, err, "partition key expression of shop.carts", "the before image fails")
}

// decodeAll decodes the native records stored by f, by partition key.
func decodeAll(t *testing.T, f *fakeAPI) map[string][]envelope.Envelope {
	t.Helper()
	out := map[string][]envelope.Envelope{}
	for pk, lines := range f.lines() {
		for _, l := range lines {
			env, err := envelope.Decode([]byte(l))
			require.NoError(t, err)
			out[pk] = append(out[pk], env)
		}
	}
	return out
}

func TestKeyChangingUpdateGoesAsTwoRecords(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{})
	txn := updateTxn(tenants, change.Row{int64(1), int64(7), "a"}, change.Row{int64(2), int64(7), "b"})
	require.NoError(t, s.Apply(t.Context(), txn))
	flush(t, s)
	got := decodeAll(t, f)
	require.Len(t, got, 2)
	del, ins := got[`["shop","carts",1]`], got[`["shop","carts",2]`]
	require.Len(t, del, 1)
	require.Len(t, ins, 1)
	require.Equal(t, "delete", del[0].Op)
	require.Equal(t, "delete-old", del[0].KeyChange)
	require.Equal(t, envelope.Image{"id": json.Number("1")}, del[0].Key)
	require.Equal(t, "a", del[0].Before["v"])
	require.Equal(t, "insert", ins[0].Op)
	require.Equal(t, "insert-new", ins[0].KeyChange)
	require.Equal(t, envelope.Image{"id": json.Number("2")}, ins[0].Key)
	require.Equal(t, "b", ins[0].After["v"])
	require.Equal(t, 3, del[0].Row, "FirstRow + 0")
	require.Equal(t, 3, ins[0].Row)
	require.Equal(t, uint64(1), s.Sent(), "one change")

	// An update that keeps its key stays one record.
	f = newFake(1)
	s = fakeSink(t, f, Options{})
	require.NoError(t, s.Apply(t.Context(), updateTxn(tenants, change.Row{int64(1), int64(7), "a"},
		change.Row{int64(1), int64(8), "b"})))
	flush(t, s)
	got = decodeAll(t, f)
	require.Len(t, got, 1)
	require.Equal(t, "update", got[`["shop","carts",1]`][0].Op)
	require.Empty(t, got[`["shop","carts",1]`][0].KeyChange)
}

func TestKeyChangingUpdateInDMSFormat(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{Format: FormatDMS, DMS: &DMSOptions{TransactionDetails: true}})
	require.NoError(t, s.Apply(t.Context(), updateTxn(tenants, change.Row{int64(1), int64(7), "a"},
		change.Row{int64(2), int64(7), "b"})))
	flush(t, s)
	type rec struct {
		Data     map[string]any `json:"data"`
		Before   map[string]any `json:"before-image"`
		Metadata map[string]any `json:"metadata"`
	}
	byKey := map[string]rec{}
	for pk, lines := range f.lines() {
		require.Len(t, lines, 1)
		var r rec
		dec := json.NewDecoder(bytes.NewReader([]byte(lines[0])))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&r))
		byKey[pk] = r
	}
	del, ins := byKey[`["shop","carts",1]`], byKey[`["shop","carts",2]`]
	require.Equal(t, "delete", del.Metadata["operation"])
	require.Equal(t, "a", del.Data["v"])
	require.Equal(t, "insert", ins.Metadata["operation"])
	require.Equal(t, "b", ins.Data["v"])
	require.Nil(t, del.Before)
	require.Nil(t, ins.Before, "an insert has no before image")
	// Row 3 of the transaction: DMS counts records from 1.
	require.Equal(t, json.Number("4"), del.Metadata["transaction-record-id"])
	require.Equal(t, json.Number("4"), ins.Metadata["transaction-record-id"])
	require.Equal(t, uint64(1), s.Sent())
}

func TestKeyChangingUpdateOversizeHalves(t *testing.T) {
	big := string(bytes.Repeat([]byte("x"), 2<<20))
	tests := []struct {
		name       string
		before     string
		after      string
		wantOps    []string // of the failed records, in order
		wantKeys   [][]change.Value
		wantStored map[string]string // partition key to the stored half
	}{
		{"the old image too big", big, "b", []string{"delete"}, [][]change.Value{{int64(1)}},
			map[string]string{`["shop","carts",2]`: "insert-new"}},
		{"the new image too big", "a", big, []string{"insert"}, [][]change.Value{{int64(2)}},
			map[string]string{`["shop","carts",1]`: "delete-old"}},
		{"both too big", big, big, []string{"delete", "insert"}, [][]change.Value{{int64(1)}, {int64(2)}},
			map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, store := newFake(1), &memFailed{}
			s := fakeSink(t, f, Options{Failed: store})
			txn := updateTxn(tenants, change.Row{int64(1), int64(7), tt.before}, change.Row{int64(2), int64(7), tt.after})
			require.NoError(t, s.Apply(t.Context(), txn))
			flush(t, s)
			require.Zero(t, s.Sent(), "the update is not all sent")
			require.Equal(t, uint64(len(tt.wantOps)), s.Failed())
			require.Len(t, store.fcs, len(tt.wantOps))
			for i, fc := range store.fcs {
				require.Equal(t, tt.wantOps[i], fc.Op)
				require.Equal(t, tt.wantKeys[i], fc.Key)
				require.Equal(t, txn.End, fc.Position)
				half := map[string]string{"delete": "delete-old", "insert": "insert-new"}[fc.Op]
				require.Regexp(t, `^record of \d+ bytes exceeds Kinesis's 1 MiB \(the `+half+
					` record of an update that changed its partition key\)$`, fc.Error)
			}
			stored := map[string]string{}
			for pk, envs := range decodeAll(t, f) {
				require.Len(t, envs, 1)
				stored[pk] = envs[0].KeyChange
			}
			require.Equal(t, tt.wantStored, stored)
		})
	}
}

func TestKeyChangingUpdateHalfRefusedAsTooLarge(t *testing.T) {
	f, store := newFake(1), &memFailed{}
	f.refuse = func(in *kinesis.PutRecordsInput) error {
		for _, r := range in.Records {
			if bytes.Contains(r.Data, []byte("TOO-BIG")) {
				return &smithy.GenericAPIError{Code: "ValidationException", Message: "Member must have length less than or equal to 1048576"}
			}
		}
		return nil
	}
	s := fakeSink(t, f, Options{Failed: store})
	require.NoError(t, s.Apply(t.Context(), updateTxn(tenants, change.Row{int64(1), int64(7), "a"},
		change.Row{int64(2), int64(7), "TOO-BIG"})))
	flush(t, s)
	require.Zero(t, s.Sent())
	require.Len(t, store.fcs, 1)
	require.Equal(t, "insert", store.fcs[0].Op)
	require.Equal(t, []change.Value{int64(2)}, store.fcs[0].Key)
	require.Contains(t, store.fcs[0].Error, "refused by Kinesis as too large (ValidationException) (the insert-new record")
}

func TestKeyChangingUpdateDropColumnsPerHalf(t *testing.T) {
	f := newFake(1)
	big := string(bytes.Repeat([]byte("x"), 2<<20))
	s := fakeSink(t, f, Options{Oversize: OversizeDropColumns})
	require.NoError(t, s.Apply(t.Context(), updateTxn(tenants, change.Row{int64(1), int64(7), "a"},
		change.Row{int64(2), int64(7), big})))
	flush(t, s)
	got := decodeAll(t, f)
	require.Equal(t, "a", got[`["shop","carts",1]`][0].Before["v"], "the small half is whole")
	ins := got[`["shop","carts",2]`][0]
	require.Equal(t, "insert-new", ins.KeyChange)
	require.Equal(t, marker(2<<20), ins.After["v"])
	require.Equal(t, uint64(1), s.Sent())
}
