package source

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestWidens(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		want     bool
	}{
		{"int", "bigint", true},
		{"bigint", "int", false},
		{"smallint unsigned", "int unsigned", true},
		{"int unsigned", "bigint", true},
		{"int unsigned", "int", false},
		{"bigint", "bigint unsigned", false},
		{"varchar(10)", "varchar(20)", true},
		{"varchar(20)", "varchar(3)", false},
		{"char(5)", "varchar(5)", true},
		{"varchar(5)", "char(5)", false}, // a CHAR drops the trailing spaces a VARCHAR kept
		{"varchar(200)", "text", true},
		{"varchar(200)", "tinytext", false},
		{"text", "mediumtext", true},
		{"longtext", "text", false},
		{"varbinary(4)", "varbinary(8)", true},
		{"binary(4)", "binary(8)", false}, // more zero padding
		{"varbinary(8)", "blob", true},
		{"decimal(10,2)", "decimal(12,4)", true},
		{"decimal(20,6)", "decimal(20,2)", false},
		{"decimal(10,2)", "decimal(10,4)", false}, // two digits fewer before the point
		{"datetime", "datetime(6)", true},
		{"datetime(6)", "datetime", false},
		{"time(3)", "time(6)", true},
		{"timestamp(6)", "timestamp(3)", false},
		{"float", "double", true},
		{"double", "float", false},
		{"bit(8)", "bit(16)", true},
		{"bit(16)", "bit(8)", false},
		{"enum('a','b')", "enum('a','b','c')", true},
		{"enum('a','b')", "enum('b','a')", false},
		{"enum('a','b')", "enum('a')", false},
		{"set('x')", "set('x','y')", true},
		{"year", "date", false},
	} {
		require.Equal(t, tt.want, widens(tt.from, tt.to), "%s to %s", tt.from, tt.to)
	}
	col := func(kind change.Kind, typ, charset string) change.Column {
		return change.Column{Name: "c", Kind: kind, Type: typ, Charset: charset}
	}
	require.False(t, retyped(col(change.KindString, "varchar(10)", "utf8mb4"), col(change.KindString, "varchar(10)", "utf8mb4")))
	require.True(t, retyped(col(change.KindString, "varchar(10)", "latin1"), col(change.KindString, "varchar(10)", "utf8mb4")))
	require.True(t, retyped(col(change.KindInt, "int", ""), col(change.KindUint, "int unsigned", "")))
	require.False(t, retyped(col(change.KindUint, "int unsigned", ""), col(change.KindInt, "bigint", "")))
	require.False(t, retyped(col(change.KindFloat, "float", ""), col(change.KindDouble, "double", "")))
	require.True(t, retyped(col(change.KindString, "varchar(10)", "utf8mb4"), col(change.KindJSON, "longtext", "utf8mb4")))
	require.True(t, retyped(col(change.KindDecimal, "decimal(20,6)", ""), col(change.KindDecimal, "decimal(20,2)", "")))
}
