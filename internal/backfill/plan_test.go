package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// items has a composite key of an integer and a string.
var items = &change.Table{
	Schema: "shop", Name: "order`items",
	Columns: []change.Column{
		{Name: "order_id", Kind: change.KindUint, Type: "bigint unsigned"},
		{Name: "name", Kind: change.KindString, Type: "varchar(40)", Charset: "utf8mb4"},
		{Name: "price", Kind: change.KindDecimal, Type: "decimal(10,2)"},
		{Name: "weight", Kind: change.KindFloat, Type: "float"},
		{Name: "state", Kind: change.KindEnum, Type: "enum('a','b')"},
	},
	PrimaryKey: []int{0, 1},
}

func TestChooseKey(t *testing.T) {
	pk := index{name: "PRIMARY", columns: []string{"id"}}
	wide := index{name: "a_wide", columns: []string{"a", "b"}}
	narrow := index{name: "z_narrow", columns: []string{"c"}}
	sameWidth := index{name: "b_same", columns: []string{"d"}}
	nullable := index{name: "nullable", columns: []string{"e"}, nullable: true}
	tests := []struct {
		name    string
		indexes []index
		want    string
	}{
		{"primary key first", []index{wide, pk, narrow}, "PRIMARY"},
		{"fewest columns", []index{wide, narrow}, "z_narrow"},
		{"then by name", []index{narrow, sameWidth, wide}, "b_same"},
		{"nullable keys are skipped", []index{nullable, wide}, "a_wide"},
		{"only nullable keys", []index{nullable}, ""},
		{"no keys", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := chooseKey(tt.indexes)
			require.Equal(t, tt.want != "", ok)
			require.Equal(t, tt.want, got.name)
		})
	}
}

func TestPlanKeys(t *testing.T) {
	tests := []struct {
		name    string
		ix      index
		want    []int
		wantErr string
	}{
		{"composite", index{name: "PRIMARY", columns: []string{"order_id", "name"}}, []int{0, 1}, ""},
		{"decimal and float", index{name: "u", columns: []string{"price", "weight"}}, []int{2, 3}, ""},
		{"enum refused", index{name: "u", columns: []string{"order_id", "state"}}, nil,
			"no usable key: shop.order`items: key u has the enum column state"},
		{"missing column", index{name: "u", columns: []string{"gone"}}, nil, "names column gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(items, tt.ix, "")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, p.Key)
		})
	}
}

func TestNoKeyError(t *testing.T) {
	err := noKeyError(items, []index{{name: "u2", nullable: true}, {name: "u1", nullable: true}})
	require.ErrorIs(t, err, ErrNoKey)
	require.ErrorContains(t, err, "shop.order`items has no primary key and no unique key of NOT NULL columns")
	require.ErrorContains(t, err, "(unique keys with nullable columns: u1, u2)")
}

func TestChunkSQL(t *testing.T) {
	const cols = "SELECT `order_id`, `name`, `price`, `weight` + 0e0, `state` FROM `shop`.`order``items`"
	composite := index{name: "PRIMARY", columns: []string{"order_id", "name"}}
	tests := []struct {
		name     string
		ix       index
		where    string
		after    []change.Value
		wantSQL  string
		wantArgs []any
	}{
		{name: "first chunk", ix: composite,
			wantSQL: cols + " FORCE INDEX (`PRIMARY`) ORDER BY `order_id`, `name` LIMIT 100"},
		{name: "composite key after a row", ix: composite, after: []change.Value{uint64(7), "Äpfel"},
			wantSQL: cols + " FORCE INDEX (`PRIMARY`) WHERE (`order_id` > ? OR (`order_id` = ? AND `name` > ?))" +
				" ORDER BY `order_id`, `name` LIMIT 100",
			wantArgs: []any{uint64(7), uint64(7), "Äpfel"}},
		{name: "single key with a predicate", ix: index{name: "PRIMARY", columns: []string{"order_id"}},
			where: " price > 10 ", after: []change.Value{uint64(7)},
			wantSQL: cols + " FORCE INDEX (`PRIMARY`) WHERE (`order_id` > ?) AND (price > 10)" +
				" ORDER BY `order_id` LIMIT 100",
			wantArgs: []any{uint64(7)}},
		{name: "predicate on the first chunk", ix: index{name: "PRIMARY", columns: []string{"order_id"}},
			where:   "name LIKE 'a%'",
			wantSQL: cols + " FORCE INDEX (`PRIMARY`) WHERE (name LIKE 'a%') ORDER BY `order_id` LIMIT 100"},
		{name: "decimal as a literal, float as its double", ix: index{name: "u`k", columns: []string{"price", "weight"}},
			after: []change.Value{change.Decimal("-12.50"), float32(0.1)},
			wantSQL: cols + " FORCE INDEX (`u``k`) WHERE (`price` > -12.50 OR (`price` = -12.50 AND `weight` > ?))" +
				" ORDER BY `price`, `weight` LIMIT 100",
			wantArgs: []any{float64(float32(0.1))}},
		{name: "three columns", ix: index{name: "u", columns: []string{"order_id", "name", "price"}},
			after: []change.Value{uint64(1), "b", change.Decimal("3.00")},
			wantSQL: cols + " FORCE INDEX (`u`) WHERE (`order_id` > ? OR (`order_id` = ? AND `name` > ?)" +
				" OR (`order_id` = ? AND `name` = ? AND `price` > 3.00)) ORDER BY `order_id`, `name`, `price` LIMIT 100",
			wantArgs: []any{uint64(1), uint64(1), "b", uint64(1), "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(items, tt.ix, tt.where)
			require.NoError(t, err)
			sql, args := p.ChunkSQL(tt.after, 100)
			require.Equal(t, tt.wantSQL, sql)
			require.Equal(t, tt.wantArgs, args)
		})
	}
}

func TestCheckWhere(t *testing.T) {
	tests := []struct {
		where   string
		wantErr string
	}{
		{"", ""},
		{"id > 10 AND status = 'live'", ""},
		{"name = 'a;b' OR note = \"x -- y\" OR `we;ird` = 1", ""},
		{"name = 'it''s' OR name = 'back\\'slash'", ""},
		{"(a = 1) OR (b IN (1, 2))", ""},
		{"a = 5--1", ""},
		{"id > 10; DROP TABLE t", "holds a ';'"},
		{"id > 10 -- rest", "holds a comment"},
		{"id > 10 --", "holds a comment"},
		{"id > 10 # rest", "holds a comment"},
		{"id > 10 /* x */", "holds a comment"},
		{"name = 'open", "leaves a ' quote open"},
		{"(a = 1", "leaves a parenthesis open"},
		{"a = 1) OR (b = 2", "closes a parenthesis it did not open"},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			err := CheckWhere(tt.where)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrBadWhere)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
