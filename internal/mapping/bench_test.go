package mapping

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// BenchmarkApply measures inserts of a 10-column row through a mapping that
// renames eight columns, computes one and filters on another.
func BenchmarkApply(b *testing.B) {
	table := &change.Table{Schema: "shop", Name: "orders", PrimaryKey: []int{0}}
	row := make(change.Row, 10)
	var cols strings.Builder
	for i := range 10 {
		name := fmt.Sprintf("c%d", i)
		table.Columns = append(table.Columns, change.Column{Name: name, Kind: change.KindInt})
		row[i] = int64(i)
		if i < 8 {
			fmt.Fprintf(&cols, "      t%d: %s\n", i, name)
		}
	}
	cols.WriteString("      total: \"c8 * 2 + c9\"\n")
	src := "target: g.orders\nkey: [t0]\nsources:\n  - source: s\n    table: shop.orders\n    filter: \"c9 >= 0\"\n    columns:\n" + cols.String()
	s, err := Parse("bench.yaml", []byte(src), nil)
	require.NoError(b, err)
	txn := &change.Txn{Source: "s", Changes: []change.RowChange{{Table: table, Op: change.Insert, After: row}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		txn.Ops = txn.Ops[:0]
		if err := s.Apply(txn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkApplyPlain measures a 10-column row copied column by column.
func BenchmarkApplyPlain(b *testing.B) {
	table := &change.Table{Schema: "shop", Name: "orders", PrimaryKey: []int{0}}
	row := make(change.Row, 10)
	for i := range 10 {
		table.Columns = append(table.Columns, change.Column{Name: fmt.Sprintf("c%d", i), Kind: change.KindInt})
		row[i] = int64(i)
	}
	s, err := Parse("bench.yaml", []byte("target: g.orders\nkey: [c0]\nsources: [{source: s, table: shop.orders, all_columns: true}]\n"), nil)
	require.NoError(b, err)
	txn := &change.Txn{Source: "s", Changes: []change.RowChange{{Table: table, Op: change.Insert, After: row}}}
	b.ReportAllocs()
	for b.Loop() {
		txn.Ops = txn.Ops[:0]
		if err := s.Apply(txn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
