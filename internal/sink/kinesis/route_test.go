package kinesis

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
)

func TestPartitionKey(t *testing.T) {
	composite := &change.Table{Schema: "s", Name: "t",
		Columns:    []change.Column{{Name: "a"}, {Name: "b"}, {Name: "c"}},
		PrimaryKey: []int{1, 0}}
	noKey := &change.Table{Schema: "s", Name: "log", Columns: []change.Column{{Name: "a"}, {Name: "b"}}}
	row := change.Row{int64(1), `x","y`, []byte{0xff}}
	txn := func(c change.RowChange, gtid string) *change.Txn {
		return &change.Txn{Source: "src", GTID: gtid, Begin: change.Position{File: "bin.000002", Pos: 77},
			Changes: []change.RowChange{c}}
	}
	insert := change.RowChange{Table: composite, Op: change.Insert, After: row}
	tests := []struct {
		name string
		pk   string
		txn  *change.Txn
		want string
	}{
		{"primary key in key order, quoted", PartitionKeyPrimaryKey, txn(insert, ""), `["s","t","x\",\"y",1]`},
		{"delete keyed by the before image", PartitionKeyPrimaryKey,
			txn(change.RowChange{Table: composite, Op: change.Delete, Before: change.Row{uint64(5), "k", nil}}, ""),
			`["s","t","k",5]`},
		{"no primary key hashes the row", PartitionKeyPrimaryKey,
			txn(change.RowChange{Table: noKey, Op: change.Insert, After: change.Row{nil, change.Decimal("1.50")}}, ""),
			hashKey(`["s","log",null,1.50]`)},
		{"table", PartitionKeyTable, txn(insert, ""), "s.t"},
		{"transaction by gtid", PartitionKeyTransaction, txn(insert, "0-1-9"), "src/0-1-9"},
		{"transaction by position", PartitionKeyTransaction, txn(insert, ""), "src/bin.000002:77"},
		{"constant", PartitionKeyConstant + "all", txn(insert, ""), "all"},
		{"expression of columns and metadata", PartitionKeyExpression + `meta.source + "/" + string(a * 2) + "/" + meta.op`,
			txn(insert, ""), "src/2/insert"},
		{"expression of a delete reads the before image", PartitionKeyExpression + "a",
			txn(change.RowChange{Table: composite, Op: change.Delete, Before: change.Row{uint64(5), "k", nil}}, ""), "5"},
		{"expression on a null", PartitionKeyExpression + "c", txn(change.RowChange{Table: composite, Op: change.Insert,
			After: change.Row{int64(1), "b", nil}}, ""), hashKey("")},
		{"expression of a decimal", PartitionKeyExpression + `b + "!"`,
			txn(change.RowChange{Table: composite, Op: change.Insert, After: change.Row{int64(1), change.Decimal("1.50"), nil}}, ""), "1.50!"},
		{"long key hashed", PartitionKeyPrimaryKey,
			txn(change.RowChange{Table: composite, Op: change.Insert, After: change.Row{int64(1), strings.Repeat("é", 200), nil}}, ""),
			hashKey(`["s","t","` + strings.Repeat("é", 200) + `",1]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compileRoutes(&Options{Stream: "x", PartitionKey: tt.pk})[0]
			key, err := r.key(tt.txn, 0)
			require.NoError(t, err)
			require.Equal(t, tt.want, key)
		})
	}

	r := compileRoutes(&Options{Stream: "x", PartitionKey: PartitionKeyExpression + "a + b"})[0]
	_, err := r.key(txn(insert, ""), 0)
	require.ErrorContains(t, err, "partition key expression of s.t: invalid operation")
	r = compileRoutes(&Options{Stream: "x", PartitionKey: PartitionKeyExpression + "date(b)"})[0]
	_, err = r.key(txn(change.RowChange{Table: composite, Op: change.Insert, After: change.Row{int64(1), "SECRET", nil}}, ""), 0)
	require.EqualError(t, err, "partition key expression of s.t: invalid date ‹b›", "the value it failed on is left out")
	r = compileRoutes(&Options{Stream: "x", PartitionKey: PartitionKeyExpression + "[a]"})[0]
	_, err = r.key(txn(insert, ""), 0)
	require.EqualError(t, err, "partition key expression of s.t: result of type []interface {}, want text or a number")
	h := hashKey("k")
	require.Len(t, h, 71)
	require.True(t, strings.HasPrefix(h, "sha256:"))
}

func TestRoutesInheritAndMatchInOrder(t *testing.T) {
	yes := true
	o := &Options{Stream: "main", PartitionKey: PartitionKeyTable, Oversize: OversizeDropColumns, DropColumns: []string{"blob"},
		Routes: []Route{
			{Tables: "shop.orders", Stream: "orders", PartitionKey: PartitionKeyPrimaryKey, Aggregate: &yes, Oversize: OversizeFail},
			{Tables: "shop.*", DropColumns: []string{}},
			{Tables: "shop.never"},
		}}
	routes := compileRoutes(o)
	orders := matchRoute(routes, "shop.orders")
	require.Equal(t, &route{tables: "shop.orders", stream: "orders", keyKind: PartitionKeyPrimaryKey, aggregate: true,
		oversize: OversizeFail, drop: []string{"blob"}, dms: dms.Options{BeforeImage: true, PartitionKeyType: dms.PartitionKeyPrimaryKey}}, orders)
	other := matchRoute(routes, "shop.never")
	require.Equal(t, "shop.*", other.tables, "the first match wins")
	require.Equal(t, "main", other.stream)
	require.Equal(t, PartitionKeyTable, other.keyKind)
	require.Equal(t, dms.PartitionKeySchemaTable, other.dms.PartitionKeyType)
	require.Equal(t, OversizeDropColumns, other.oversize)
	require.Empty(t, other.drop, "an empty list: the largest values first")
	require.NotNil(t, other.drop)
	def := matchRoute(routes, "app.users")
	require.Empty(t, def.tables)
	require.Equal(t, "main", def.stream)
	require.Equal(t, []string{"blob"}, def.drop)
}

func TestOptionsValidate(t *testing.T) {
	o := Options{Format: "xml", PartitionKey: "constant:", Oversize: "truncate", MaxBufferedBytes: 10,
		Routes: []Route{{Tables: "[", PartitionKey: "row"}, {Tables: "a.*", Stream: "s", PartitionKey: "expression:now()"},
			{Tables: "b.*", Stream: "s", PartitionKey: "expression:(a"}}}
	err := o.validate()
	require.EqualError(t, err, strings.Join([]string{
		"region: is required",
		"format: must be native or dms",
		"partition_key: must be primary_key, table, transaction, constant:VALUE or expression:EXPR",
		"oversize: must be fail or drop_columns",
		"routes[0].tables: invalid pattern: syntax error in pattern",
		"routes[0].stream: is required when the sink has no stream",
		"routes[0].partition_key: must be primary_key, table, transaction, constant:VALUE or expression:EXPR",
		"routes[1].partition_key: expression: now() is not allowed: a replayed change must get the same key",
		"routes[2].partition_key: expression: unexpected token EOF at column 2",
		"max_buffered_bytes: must be at least 1048576 (1 MiB)",
	}, "\n"))
	o = Options{Region: "r"}
	o.ensureDefaults()
	require.EqualError(t, o.validate(), "either stream or routes is required")
}

func TestDMSOptionsDefaultToTheBeforeImage(t *testing.T) {
	no := false
	require.True(t, (*DMSOptions)(nil).encoder().BeforeImage, "no dms block")
	require.True(t, (&DMSOptions{}).encoder().BeforeImage, "before_image unset")
	require.False(t, (&DMSOptions{BeforeImage: &no}).encoder().BeforeImage)
	require.Equal(t, dms.Options{BeforeImage: true, BeforeImageField: "old", TransactionDetails: true},
		(&DMSOptions{BeforeImageField: "old", TransactionDetails: true}).encoder())
}
