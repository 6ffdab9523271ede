package livecheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestCompare reads each type from a real server's information_schema and
// checks the verdict of storing one in the other.
func TestCompare(t *testing.T) {
	tests := []struct {
		src, dst string
		want     verdict
	}{
		{"bigint", "int", lossy},
		{"int", "bigint", fits},
		{"int unsigned", "bigint", fits},
		{"int unsigned", "int", lossy},
		{"int", "int unsigned", lossy},
		{"bigint unsigned", "bigint unsigned", fits},
		{"tinyint", "decimal(3,0)", fits},
		{"int", "decimal(5,0)", lossy},
		{"int", "double", fits},
		{"int", "float", lossy},
		{"bigint", "double", lossy},
		{"int", "varchar(11)", fits},
		{"int", "varchar(5)", mayTruncate},
		{"decimal(10,2)", "decimal(12,2)", fits},
		{"decimal(10,2)", "decimal(10,1)", lossy},
		{"decimal(10,2)", "decimal(11,3)", fits},
		{"decimal(10,2)", "decimal(10,3)", lossy},
		{"decimal(10,2)", "double", lossy},
		{"decimal(9,0)", "int", fits},
		{"decimal(10,0)", "int", lossy},
		{"decimal(10,2)", "varchar(12)", fits},
		{"float", "double", fits},
		{"double", "float", lossy},
		{"datetime(6)", "datetime", lossy},
		{"datetime", "datetime(6)", fits},
		{"datetime(6)", "timestamp(6)", lossy},
		{"timestamp(3) null", "datetime(3)", fits},
		{"date", "datetime", fits},
		{"datetime", "date", lossy},
		{"time(3)", "time(6)", fits},
		{"time(6)", "time", lossy},
		{"year", "smallint", fits},
		{"year", "tinyint", lossy},
		{"datetime(6)", "varchar(26)", fits},
		{"datetime(6)", "varchar(19)", mayTruncate},
		{"varchar(200)", "varchar(100)", mayTruncate},
		{"varchar(100)", "varchar(200)", fits},
		{"text", "varchar(100)", mayTruncate},
		{"varchar(100)", "text", fits},
		{"varchar(100)", "tinytext", mayTruncate},
		{"mediumtext", "longtext", fits},
		{"longtext", "mediumtext", mayTruncate},
		{"varchar(10) character set utf8mb4", "varchar(10) character set latin1", mayTruncate},
		{"varchar(10) character set latin1", "varchar(10) character set utf8mb4", fits},
		{"varchar(10)", "int", lossy},
		{"varchar(10)", "datetime", lossy},
		{"varbinary(10)", "varchar(10)", lossy},
		{"varchar(10)", "varbinary(40)", fits},
		{"varchar(10)", "varbinary(20)", mayTruncate},
		{"varbinary(10)", "binary(10)", lossy},
		{"binary(8)", "binary(10)", lossy},
		{"binary(10)", "varbinary(10)", fits},
		{"blob", "varbinary(100)", mayTruncate},
		{"blob", "longblob", fits},
		{"enum('a','b')", "enum('a','b','c')", fits},
		{"enum('a','b')", "enum('b','a')", fits},
		{"enum('a','b')", "enum('a')", lossy},
		{"enum('a','b')", "varchar(1)", fits},
		{"enum('a','b')", "int", lossy},
		{"set('a','b')", "set('a','b','c')", fits},
		{"set('a','b')", "varchar(2)", mayTruncate},
		{"bit(8)", "tinyint unsigned", fits},
		{"bit(8)", "tinyint", lossy},
		{"bit(8)", "bit(16)", fits},
		{"bit(16)", "bit(8)", lossy},
		{"json", "json", fits},
		{"json", "longtext", fits},
	}
	s := testenv.StartT(t, testenv.Options{})
	s.Exec(t, "CREATE DATABASE d CHARACTER SET utf8mb4")
	index := map[string]string{}
	var defs []string
	for _, tt := range tests {
		for _, typ := range []string{tt.src, tt.dst} {
			if _, ok := index[typ]; !ok {
				index[typ] = fmt.Sprintf("c%d", len(index))
				defs = append(defs, index[typ]+" "+typ)
			}
		}
	}
	s.Exec(t, "CREATE TABLE d.types ("+strings.Join(defs, ", ")+") ENGINE=InnoDB")
	db := s.DB(t, "")
	tab, err := newCatalog(db).table(t.Context(), tableName{"d", "types"})
	require.NoError(t, err)
	require.NotNil(t, tab)
	for _, tt := range tests {
		t.Run(tt.src+" into "+tt.dst, func(t *testing.T) {
			src, ok := tab.find(index[tt.src], false)
			require.True(t, ok)
			dst, ok := tab.find(index[tt.dst], false)
			require.True(t, ok)
			got, why := compare(src.typ, dst.typ)
			require.Equal(t, tt.want, got, "%s into %s: %s", src.typ, dst.typ, why)
			require.Equal(t, got == fits, why == "", why)
		})
	}
}
