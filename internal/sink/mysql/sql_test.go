package mysql

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSQLGolden(t *testing.T) {
	users := &change.TargetTable{Schema: "app", Name: "users", Key: []string{"id"}}
	pair := &change.TargetTable{Schema: "app", Name: "order_items", Key: []string{"order_id", "line"}}
	odd := &change.TargetTable{Schema: "we`ird", Name: "ta`ble", Key: []string{"k`ey"}}
	noSchema := &change.TargetTable{Name: "t", Key: []string{"id"}}
	cases := []struct {
		name string
		sql  string
	}{
		{"upsert one row", upsertSQL(users, []string{"id", "email", "name"}, 1)},
		{"upsert three rows", upsertSQL(users, []string{"id", "email"}, 3)},
		{"upsert composite key", upsertSQL(pair, []string{"order_id", "line", "qty"}, 2)},
		{"upsert key columns only", upsertSQL(pair, []string{"order_id", "line"}, 2)},
		{"upsert quoted identifiers", upsertSQL(odd, []string{"k`ey", "va`l"}, 1)},
		{"upsert without schema", upsertSQL(noSchema, []string{"id", "v"}, 1)},
		{"delete one key", deleteSQL(users, 1)},
		{"delete three keys", deleteSQL(users, 3)},
		{"delete composite keys", deleteSQL(pair, 2)},
		{"delete quoted identifiers", deleteSQL(odd, 2)},
	}
	var b strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&b, "-- %s\n%s;\n\n", c.name, c.sql)
	}
	path := filepath.Join("testdata", "sql.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String())
}

func TestBatchStatements(t *testing.T) {
	a := &change.TargetTable{Schema: "s", Name: "a", Key: []string{"id"}}
	a2 := &change.TargetTable{Schema: "s", Name: "a", Key: []string{"id"}}
	bt := &change.TargetTable{Schema: "s", Name: "b", Key: []string{"id"}}
	up := func(tb *change.TargetTable, cols ...string) change.TargetOp {
		vals := make([]change.Value, len(cols))
		return change.TargetOp{Target: tb, Kind: change.Upsert, Key: []change.Value{int64(1)}, Columns: cols, Values: vals}
	}
	dl := func(tb *change.TargetTable) change.TargetOp {
		return change.TargetOp{Target: tb, Kind: change.DeleteRow, Key: []change.Value{int64(1)}}
	}
	cases := []struct {
		name string
		rows int
		ops  []change.TargetOp
		want [][2]int
	}{
		{"one run", 10, []change.TargetOp{up(a, "id", "x"), up(a2, "id", "x"), up(a, "id", "x")}, [][2]int{{0, 3}}},
		{"row cap", 2, []change.TargetOp{up(a, "id"), up(a, "id"), up(a, "id")}, [][2]int{{0, 2}, {2, 3}}},
		{"column list change", 10, []change.TargetOp{up(a, "id", "x"), up(a, "id", "y"), up(a, "id", "y")}, [][2]int{{0, 1}, {1, 3}}},
		{"kind change keeps order", 10, []change.TargetOp{dl(a), up(a, "id"), dl(a), dl(a)}, [][2]int{{0, 1}, {1, 2}, {2, 4}}},
		{"table change", 10, []change.TargetOp{up(a, "id"), up(bt, "id"), up(a, "id")}, [][2]int{{0, 1}, {1, 2}, {2, 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := batch{rowsPerStmt: c.rows}
			for _, op := range c.ops {
				b.add(item{op: op})
			}
			var got [][2]int
			for _, s := range b.stmts {
				got = append(got, [2]int{s.start, s.end})
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Duplicate entry 'alice@example.com' for key 'email'", "Duplicate entry '?' for key 'email'"},
		{"Incorrect integer value: 'x' for column `tgt`.`t`.`n` at row 1", "Incorrect integer value: '?' for column `tgt`.`t`.`n` at row 1"},
		{"Data too long for column 'name' at row 1", "Data too long for column 'name' at row 1"},
	}
	for _, c := range cases {
		got := redact(fmt.Errorf("applying: %w", &mysql.MySQLError{Number: 1062, Message: c.in}))
		var me *mysql.MySQLError
		require.ErrorAs(t, got, &me)
		require.Equal(t, c.want, me.Message, c.in)
	}
}
