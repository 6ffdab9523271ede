package envelope

import (
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// allKinds has one column of every kind; id is the primary key and n is a
// nullable column that holds NULL in every sample row.
var allKinds = &change.Table{
	Schema: "accounts",
	Name:   "every_type",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt, Type: "bigint"},
		{Name: "u", Kind: change.KindUint, Type: "bigint unsigned"},
		{Name: "f", Kind: change.KindFloat, Type: "float"},
		{Name: "d", Kind: change.KindDouble, Type: "double"},
		{Name: "amount", Kind: change.KindDecimal, Type: "decimal(20,4)"},
		{Name: "day", Kind: change.KindDate, Type: "date"},
		{Name: "span", Kind: change.KindTime, Type: "time(6)"},
		{Name: "at", Kind: change.KindDateTime, Type: "datetime(6)"},
		{Name: "ts", Kind: change.KindTimestamp, Type: "timestamp(6)"},
		{Name: "yr", Kind: change.KindYear, Type: "year"},
		{Name: "name", Kind: change.KindString, Type: "varchar(255)", Charset: "utf8mb4"},
		{Name: "raw", Kind: change.KindBytes, Type: "binary(4)"},
		{Name: "doc", Kind: change.KindJSON, Type: "json"},
		{Name: "status", Kind: change.KindEnum, Type: "enum('new','active')"},
		{Name: "tags", Kind: change.KindSet, Type: "set('a','b','c')"},
		{Name: "mask", Kind: change.KindBit, Type: "bit(64)"},
		{Name: "shape", Kind: change.KindGeometry, Type: "point"},
		{Name: "n", Kind: change.KindString, Type: "varchar(10)", Charset: "utf8mb4", Nullable: true},
	},
	PrimaryKey: []int{0},
}

func allKindsRow(id int64, name string) change.Row {
	return change.Row{
		id,
		uint64(18446744073709551615),
		float32(0.1),
		float64(-1.5e-300),
		change.Decimal("-12345678901234567.8900"),
		change.Temporal("0000-00-00"),
		change.Temporal("-838:59:59.000000"),
		change.Temporal("2026-11-22 03:56:48.123456"),
		change.Temporal("2026-03-29 01:30:00.000001"),
		int64(2026),
		name,
		[]byte{0x00, 0xff, 'a', 0x00},
		change.JSON(`{"a": [1, 2.50, "x\"y"], "b": null}`),
		"active",
		"a,c",
		uint64(1) << 63,
		[]byte{0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40},
		nil,
	}
}

// noKey has no primary key, so its key is every column.
var noKey = &change.Table{
	Schema: "logs",
	Name:   "events",
	Columns: []change.Column{
		{Name: "kind", Kind: change.KindString, Charset: "utf8mb4"},
		{Name: "payload", Kind: change.KindBytes, Nullable: true},
	},
}

// compositeKey declares its primary key in an order different from its
// columns.
var compositeKey = &change.Table{
	Schema: "shop",
	Name:   "order_items",
	Columns: []change.Column{
		{Name: "qty", Kind: change.KindInt},
		{Name: "item", Kind: change.KindUint},
		{Name: "order", Kind: change.KindUint},
	},
	PrimaryKey: []int{2, 1},
}

var commitTime = time.Date(2026, 11, 22, 3, 56, 48, 123456789, time.UTC)

// appendHalves appends the two envelopes of the split key-changing update
// txn.Changes[i], a newline between them, as a sink sends them.
func appendHalves(dst []byte, txn *change.Txn, i, row int) []byte {
	for j, k := range []KeyChange{DeleteOld, InsertNew} {
		one := *txn
		one.Changes = []change.RowChange{k.Half(&txn.Changes[i])}
		if j > 0 {
			dst = append(dst, '\n')
		}
		dst = AppendKeyChange(dst, &one, 0, row, k)
	}
	return dst
}

// goldenTxns returns the transactions whose envelopes are in
// testdata/golden.jsonl, one line per change, rows counted across parts.
func goldenTxns() []*change.Txn {
	oldName := "Ann \"A\" \\ \n\t\x01\x1f é 日本 😀 \u2028\u2029 <&>"
	before := allKindsRow(42, oldName)
	after := allKindsRow(43, "Anna")
	after[4] = change.Decimal("0.0001")
	tokyo := time.FixedZone("JST", 9*3600)
	return []*change.Txn{
		{
			Source: "jp-accounts", Seq: 7, Part: 0, GTID: "0-1-55",
			CommitTime: commitTime,
			Begin:      change.Position{Flavor: change.MariaDB, File: "mysql-bin.000003", Pos: 1234},
			Changes: []change.RowChange{
				{Table: allKinds, Op: change.Insert, After: before},
				{Table: allKinds, Op: change.Update, Before: before, After: after, Changed: []int{0, 4, 10}},
			},
		},
		{
			Source: "jp-accounts", Seq: 7, Part: 1, Last: true, GTID: "0-1-55",
			CommitTime: commitTime,
			Begin:      change.Position{Flavor: change.MariaDB, File: "mysql-bin.000003", Pos: 1234},
			Changes: []change.RowChange{
				{Table: allKinds, Op: change.Delete, Before: after},
			},
		},
		{
			Source: "eu-logs", Seq: 1, Last: true,
			CommitTime: time.Date(2026, 1, 2, 9, 4, 5, 7000, tokyo),
			Begin:      change.Position{Flavor: change.MySQL, File: "binlog.000001", Pos: 4},
			Changes: []change.RowChange{
				{Table: noKey, Op: change.Delete, Before: change.Row{"", nil}},
				{Table: compositeKey, Op: change.Insert, After: change.Row{int64(-3), uint64(9), uint64(1)}},
				{Table: compositeKey, Op: change.Update,
					Before: change.Row{int64(-3), uint64(9), uint64(1)},
					After:  change.Row{int64(-3), uint64(9), uint64(1)}},
			},
		},
	}
}
