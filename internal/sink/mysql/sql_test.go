package mysql

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{"update one row", updateSQL(users, []string{"email", "name"}, nil)},
		{"update one row with cond", updateSQL(users, []string{"email"}, []string{"org", "email"})},
		{"update composite key", updateSQL(pair, []string{"qty"}, nil)},
		{"update three rows", updateJoinSQL(users, []string{"email", "name"}, nil, 3)},
		{"update two rows with cond on a set column", updateJoinSQL(users, []string{"email"}, []string{"org", "email"}, 2)},
		{"update two rows composite key", updateJoinSQL(pair, []string{"qty"}, []string{"state"}, 2)},
		{"update quoted identifiers", updateJoinSQL(odd, []string{"va`l"}, []string{"co`nd"}, 2)},
		{"update without schema", updateJoinSQL(noSchema, []string{"v"}, nil, 2)},
		{"update three rows by insert", updateInsertSQL(users, []string{"email", "name"}, nil, 3)},
		{"update two rows by insert with cond on a set column", updateInsertSQL(users, []string{"email"}, []string{"org", "email"}, 2)},
		{"update two rows by insert composite key", updateInsertSQL(pair, []string{"qty"}, []string{"state"}, 2)},
		{"update by insert quoted identifiers", updateInsertSQL(odd, []string{"va`l"}, []string{"co`nd"}, 2)},
		{"update by insert without schema", updateInsertSQL(noSchema, []string{"v"}, nil, 2)},
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
	lk1, lk2 := &change.Lookup{Name: "l1", Columns: []string{"l1"}}, &change.Lookup{Name: "l2", Columns: []string{"l2"}}
	up := func(tb *change.TargetTable, cols ...string) change.TargetOp {
		vals := make([]change.Value, len(cols))
		return change.TargetOp{Target: tb, Kind: change.Upsert, Key: []change.Value{int64(1)}, Columns: cols, Values: vals}
	}
	dl := func(tb *change.TargetTable) change.TargetOp {
		return change.TargetOp{Target: tb, Kind: change.DeleteRow, Key: []change.Value{int64(1)}}
	}
	upd := func(key int64, cols ...string) change.TargetOp {
		return change.TargetOp{Target: a, Kind: change.UpdateRow, Key: []change.Value{key}, Columns: cols, Values: make([]change.Value, len(cols))}
	}
	cond := func(op change.TargetOp, cols ...string) change.TargetOp {
		op.Cond, op.CondValues = cols, make([]change.Value, len(cols))
		return op
	}
	pending := func(op change.TargetOp, lks ...*change.Lookup) change.TargetOp {
		for _, lk := range lks {
			op.Pending = append(op.Pending, change.Pending{Lookup: lk, Params: []change.Value{int64(1)}})
		}
		return op
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
		{"upserts with the same lookups", 10,
			[]change.TargetOp{pending(up(a, "id"), lk1, lk2), pending(up(a, "id"), lk1, lk2)}, [][2]int{{0, 2}}},
		{"upserts with other lookups", 10,
			[]change.TargetOp{pending(up(a, "id"), lk1), up(a, "id"), pending(up(a, "id"), lk2), pending(up(a, "id"), lk2, lk1)},
			[][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
		{"updates of distinct keys", 10, []change.TargetOp{upd(1, "x"), upd(2, "x"), upd(3, "x")}, [][2]int{{0, 3}}},
		{"update run splits on a repeated key", 10,
			[]change.TargetOp{upd(1, "x"), upd(2, "x"), upd(1, "x"), upd(3, "x"), upd(2, "x"), upd(3, "x")},
			[][2]int{{0, 2}, {2, 5}, {5, 6}}},
		{"key repeats across statements are fine", 2,
			[]change.TargetOp{upd(1, "x"), upd(2, "x"), upd(1, "x"), upd(2, "x")}, [][2]int{{0, 2}, {2, 4}}},
		{"update cond change", 10,
			[]change.TargetOp{cond(upd(1, "x"), "w"), cond(upd(2, "x"), "w"), cond(upd(3, "x"), "v"), upd(4, "x")},
			[][2]int{{0, 2}, {2, 3}, {3, 4}}},
		{"updates with other lookups", 10,
			[]change.TargetOp{pending(upd(1), lk1), pending(upd(2), lk1), pending(upd(3), lk2), upd(4)},
			[][2]int{{0, 2}, {2, 3}, {3, 4}}},
		{"updates between upserts", 10, []change.TargetOp{up(a, "id"), upd(1, "x"), up(a, "id")}, [][2]int{{0, 1}, {1, 2}, {2, 3}}},
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

// TestUpdateArguments checks that a statement's arguments line up with its
// placeholders: key, columns, conditions per row when joined; columns,
// key, conditions for a single row.
func TestUpdateArguments(t *testing.T) {
	tb := &change.TargetTable{Schema: "s", Name: "t", Key: []string{"id"}}
	op := func(id int64, v, w string) change.TargetOp {
		return change.TargetOp{Target: tb, Kind: change.UpdateRow, Key: []change.Value{id},
			Columns: []string{"v"}, Values: []change.Value{v}, Cond: []string{"w"}, CondValues: []change.Value{w}}
	}
	b := batch{rowsPerStmt: 10}
	b.add(item{op: op(1, "v1", "w1")})
	q, args := b.sql(b.stmts[0])
	require.Equal(t, "UPDATE `s`.`t` SET `v`=? WHERE `id`=? AND `w`<=>?", q)
	require.Equal(t, []any{"v1", int64(1), "w1"}, args)
	b.add(item{op: op(2, "v2", "w2")})
	q, args = b.sql(b.stmts[0])
	require.Equal(t, updateJoinSQL(tb, []string{"v"}, []string{"w"}, 2), q)
	require.Equal(t, []any{int64(1), "v1", "w1", int64(2), "v2", "w2"}, args)
	require.Equal(t, strings.Count(q, "?"), len(args))

	none := batch{rowsPerStmt: 10}
	none.add(item{op: change.TargetOp{Target: tb, Kind: change.UpdateRow, Key: []change.Value{int64(1)}}})
	q, _ = none.sql(none.stmts[0])
	require.Empty(t, q, "an update without columns is a no-op")
}
