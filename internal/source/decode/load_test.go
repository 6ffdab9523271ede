package decode

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestLoadTable(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{})
	srv.Exec(t, "CREATE DATABASE d",
		"CREATE TABLE d.pk2 (a INT NOT NULL, b VARCHAR(10) NOT NULL, c TEXT, PRIMARY KEY (b, a))",
		"CREATE TABLE d.nopk (j LONGTEXT CHECK (json_valid(`j`)), t LONGTEXT, `we``ird` JSON, u INT UNIQUE)",
		"INSERT INTO d.pk2 VALUES (1, 'x', NULL)",
		"INSERT INTO d.nopk VALUES ('{}', 'a', '[]', 1)")
	db := srv.DB(t, "")

	tests := []struct {
		table string
		want  *change.Table
	}{
		{table: "pk2", want: &change.Table{Schema: "d", Name: "pk2", PrimaryKey: []int{1, 0}, Columns: []change.Column{
			{Name: "a", Kind: change.KindInt, Type: "int"},
			{Name: "b", Kind: change.KindString, Type: "varchar(10)", Charset: "utf8mb4"},
			{Name: "c", Kind: change.KindString, Type: "text", Charset: "utf8mb4", Nullable: true},
		}}},
		{table: "nopk", want: &change.Table{Schema: "d", Name: "nopk", Columns: []change.Column{
			{Name: "j", Kind: change.KindJSON, Type: "json", Nullable: true},
			{Name: "t", Kind: change.KindString, Type: "longtext", Charset: "utf8mb4", Nullable: true},
			{Name: "we`ird", Kind: change.KindJSON, Type: "json", Nullable: true},
			{Name: "u", Kind: change.KindInt, Type: "int", Nullable: true},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			got, err := LoadTable(t.Context(), db, "d", tt.table)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("missing", func(t *testing.T) {
		_, err := LoadTable(t.Context(), db, "d", "missing")
		require.ErrorIs(t, err, ErrNoTable)
		_, err = LoadTable(t.Context(), db, "missing", "pk2")
		require.ErrorIs(t, err, ErrNoTable)
	})

	t.Run("table map agrees", func(t *testing.T) {
		p := replication.NewBinlogParser()
		p.SetFlavor("mariadb")
		ConfigureParser(p)
		seen := 0
		require.NoError(t, p.ParseFile(srv.Dir+"/data/mysql-bin.000001", 0, func(e *replication.BinlogEvent) error {
			tm, ok := e.Event.(*replication.TableMapEvent)
			if !ok || string(tm.Schema) != "d" {
				return nil
			}
			schema, err := LoadTable(t.Context(), db, "d", string(tm.Table))
			require.NoError(t, err)
			d, err := NewDecoder(tm, schema)
			require.NoError(t, err)
			require.Equal(t, schema, d.Table())
			seen++
			return nil
		}))
		require.Equal(t, 2, seen)
	})
}
