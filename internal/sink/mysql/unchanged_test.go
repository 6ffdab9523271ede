package mysql

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// writesOf returns how many times the target wrote row id of recipes or
// members (the triggers of recipesDDL and authoredMembersDDL log each write).
func (tg *target) writesOf(t *testing.T, id int64) int {
	t.Helper()
	var n int
	require.NoError(t, tg.db.QueryRow("SELECT COUNT(*) FROM writes WHERE id = ?", id).Scan(&n))
	return n
}

// step applies op alone, in its own batch, and checks the row's writes so
// far and the updates not sent so far.
type stepCase struct {
	what      string
	op        change.TargetOp
	writes    int
	unchanged uint64
}

func TestUnchangedUpdatesAreNotSent(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}}
	s := tg.sink(t, Options{Workers: 2, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	author := []string{"author"}
	steps := []stepCase{
		{"the upsert reads the author", withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5), 1, 0},
		{"a contributor writes the author read", updateRow(recipes, int64(1), author, "ann"), 1, 1},
		{"a re-derivation reads it again", withAuthor(updateRow(recipes, int64(1), nil), 5), 1, 2},
		{"under a condition, it would write it again or nothing", withCond(updateRow(recipes, int64(1), author, "ann"), []string{"title"}, "r1"), 1, 3},
		{"another value is written", updateRow(recipes, int64(1), author, "zed"), 2, 3},
		{"the same update again", updateRow(recipes, int64(1), author, "zed"), 2, 4},
		{"the same values under a condition the last update had not", withCond(updateRow(recipes, int64(1), author, "zed"), []string{"title"}, "r1"), 3, 4},
		{"the same update under the same condition", withCond(updateRow(recipes, int64(1), author, "zed"), []string{"title"}, "r1"), 3, 5},
		{"a column the last update did not write", updateRow(recipes, int64(1), []string{"author", "title"}, "zed", "r1"), 4, 5},
		{"an upsert without lookups", upsert(recipes, []string{"id", "title"}, int64(1), "new"), 5, 5},
		{"so the author is written again", updateRow(recipes, int64(1), author, "zed"), 6, 5},
		{"the upsert reads the author again", withAuthor(upsert(recipes, cols, int64(1), "r1", int64(6)), 6), 7, 5},
		{"a delete", del(recipes, int64(1)), 7, 5},
		{"so the update is sent, finding no row", updateRow(recipes, int64(1), author, "bob"), 7, 5},
	}
	for i, st := range steps {
		applyAll(t, s, txn(uint64(i+1), st.op))
		require.Equal(t, st.writes, tg.writesOf(t, 1), "writes after: %s", st.what)
		require.Equal(t, st.unchanged, s.Unchanged(), "updates not sent after: %s", st.what)
	}
	require.Empty(t, tg.dump(t, "SELECT * FROM recipes"))
	require.Equal(t, map[string]uint64{"tgt.recipes": 5}, s.unchanged.Snapshot())
}

// remembered_rows bounds the rows remembered: past it, updates of the rows
// dropped are sent again, and the gauge and the evictions say so; with
// room for every row, none is.
func TestRememberedRowsBound(t *testing.T) {
	const rows = 1500
	recipes := table("recipes", "id")
	cols := []string{"id", "title", "author_id"}
	for _, tt := range []struct {
		remembered int64
		evicted    bool
	}{{MinRememberedRows, true}, {2 * MinRememberedRows, false}} {
		t.Run(fmt.Sprint(tt.remembered), func(t *testing.T) {
			tg := startTarget(t, recipesDDL...)
			r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}
			s := tg.sink(t, Options{Workers: 2, Resolver: r, RememberedRows: tt.remembered})
			var ups, updates []change.TargetOp
			for id := range int64(rows) {
				ups = append(ups, withAuthor(upsert(recipes, cols, id, "r", int64(5)), 5))
				updates = append(updates, updateRow(recipes, id, []string{"author"}, "ann"))
			}
			applyAll(t, s, txn(1, ups...))
			applyAll(t, s, txn(2, updates...)) // a batch of its own: not compacted with the upserts
			reg := prometheus.NewRegistry()
			reg.MustRegister(s.Collectors("target")...)
			remembered, err := testutil.GatherAndCount(reg, "tributary_mysql_remembered_rows")
			require.NoError(t, err)
			require.Equal(t, 1, remembered)
			families, err := reg.Gather()
			require.NoError(t, err)
			values := map[string]float64{}
			for _, f := range families {
				for _, m := range f.GetMetric() {
					values[f.GetName()] += m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
			require.LessOrEqual(t, values["tributary_mysql_remembered_rows"], float64(tt.remembered))
			if tt.evicted {
				require.Positive(t, values["tributary_mysql_remembered_evictions_total"])
				require.Less(t, s.Unchanged(), uint64(rows), "updates of rows dropped are sent")
				return
			}
			require.Zero(t, values["tributary_mysql_remembered_evictions_total"])
			require.Equal(t, uint64(rows), s.Unchanged(), "every update left out")
			require.Equal(t, float64(rows), values["tributary_mysql_remembered_rows"])
		})
	}
}

// authoredMembersDDL creates members, which has a second unique key, so one worker
// applies it in queue order without compaction, and the log of its writes.
var authoredMembersDDL = []string{
	"CREATE TABLE tgt.members (id INT PRIMARY KEY, email VARCHAR(20) UNIQUE, author_id INT, author VARCHAR(20))",
	"CREATE TABLE tgt.writes (n INT AUTO_INCREMENT PRIMARY KEY, id INT)",
	"CREATE TRIGGER tgt.members_ins AFTER INSERT ON tgt.members FOR EACH ROW INSERT INTO tgt.writes (id) VALUES (NEW.id)",
	"CREATE TRIGGER tgt.members_upd AFTER UPDATE ON tgt.members FOR EACH ROW INSERT INTO tgt.writes (id) VALUES (NEW.id)",
}

func TestUnchangedUpdatesInOneBatch(t *testing.T) {
	tg := startTarget(t, authoredMembersDDL...)
	members := table("members", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}}
	s := tg.sink(t, Options{Workers: 2, Resolver: r})
	cols := []string{"id", "email", "author_id"}
	author := []string{"author"}
	// The lookup fails once: the retried run decides again.
	r.failNext = fmt.Errorf("lookup %s: %w", authorLookup.Name, context.DeadlineExceeded)
	require.NoError(t, applyBatch(context.Background(), s, txn(1,
		withAuthor(upsert(members, cols, int64(1), "a@x", int64(5)), 5),
		withAuthor(upsert(members, cols, int64(2), "b@x", int64(6)), 6),
		updateRow(members, int64(1), author, "ann"), // as read: not sent
		updateRow(members, int64(2), author, "zed"), // another value
		updateRow(members, int64(1), author, "ann"), // still not sent
		updateRow(members, int64(2), author, "bob"), // back to the value read
		updateRow(members, int64(2), author, "bob"), // the same update again
	)))
	require.Equal(t, []string{"1|a@x|5|ann", "2|b@x|6|bob"}, tg.dump(t, "SELECT * FROM members ORDER BY id"))
	require.Equal(t, 1, tg.writesOf(t, 1))
	require.Equal(t, 3, tg.writesOf(t, 2))
}

func TestUnchangedUpdatesAfterBarrier(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	applyAll(t, s, txn(1, withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5)))
	// A table statement cleared the authors of every row, by no key: the
	// contributor's update of the old value must reach the row.
	applyAll(t, s, txn(2, change.TargetOp{Target: recipes, Kind: change.ClearColumns,
		Columns: []string{"author"}, Values: []change.Value{nil}}))
	applyAll(t, s, txn(3, updateRow(recipes, int64(1), []string{"author"}, "ann")))
	require.Equal(t, []string{"1|r1|5|ann"}, tg.dump(t, "SELECT * FROM recipes"))
	require.Equal(t, uint64(0), s.Unchanged())
}

func TestUnchangedUpdatesAfterPermanentError(t *testing.T) {
	tg := startTarget(t, authoredMembersDDL...)
	members := table("members", "id")
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r, OnError: OnErrorRecord, Failed: store})
	cols := []string{"id", "email", "author_id"}
	author := []string{"author"}
	// Member 2's email is too long for its column: the statements before
	// it are applied again as one transaction, its own operation by
	// operation, and those after it as one transaction again.
	require.NoError(t, applyBatch(context.Background(), s, txn(1,
		withAuthor(upsert(members, cols, int64(1), "a@x", int64(5)), 5),
		updateRow(members, int64(1), author, "ann"), // as read: not sent
		upsert(members, []string{"id", "email"}, int64(2), "an address far too long for the column"),
		updateRow(members, int64(1), author, "zed"),
		updateRow(members, int64(1), author, "zed"), // the same again: not sent
	)))
	require.Equal(t, uint64(1), s.Failed())
	require.Equal(t, []string{"1|a@x|5|zed"}, tg.dump(t, "SELECT * FROM members ORDER BY id"))
	require.Equal(t, 2, tg.writesOf(t, 1))
	require.Equal(t, uint64(2), s.Unchanged())
}

func TestUnchangedUpdatesNeedIntegerKeys(t *testing.T) {
	tg := startTarget(t,
		"CREATE TABLE tgt.tags (name VARCHAR(20) PRIMARY KEY, author_id INT, author VARCHAR(20))",
		"CREATE TABLE tgt.ints (id INT PRIMARY KEY, author_id INT, author VARCHAR(20))")
	tags, ints := table("tags", "name"), table("ints", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	// "ABC" and "abc" name one row under the column's collation: a row
	// keyed by a string is never remembered.
	applyAll(t, s, txn(1, withAuthor(upsert(tags, []string{"name", "author_id"}, "abc", int64(5)), 5)))
	applyAll(t, s, txn(2, updateRow(tags, "ABC", []string{"author"}, "zed")))
	applyAll(t, s, txn(3, updateRow(tags, "abc", []string{"author"}, "ann")))
	require.Equal(t, []string{"abc|5|ann"}, tg.dump(t, "SELECT * FROM tags"))
	require.Equal(t, uint64(0), s.Unchanged())

	// A remembered table written by another kind of key forgets it all.
	applyAll(t, s, txn(4, withAuthor(upsert(ints, []string{"id", "author_id"}, int64(1), int64(5)), 5)))
	applyAll(t, s, txn(5, updateRow(ints, "1", []string{"author"}, "zed")))
	applyAll(t, s, txn(6, updateRow(ints, int64(1), []string{"author"}, "ann")))
	require.Equal(t, []string{"1|5|ann"}, tg.dump(t, "SELECT * FROM ints"))
	require.Equal(t, uint64(0), s.Unchanged())
}

func TestLastWritesBounded(t *testing.T) {
	const limit = 3
	var total atomic.Int64
	var evicted atomic.Uint64
	l := newLastWrites(&total, &evicted, limit)
	tb := table("t", "id")
	write := func(id int64) {
		l.wrote(&item{op: updateRow(tb, id, []string{"a"}, "v")})
	}
	for id := range int64(3) {
		write(id)
	}
	l.commit()
	require.Len(t, l.rows, 3)
	write(3)
	l.commit()
	require.Len(t, l.rows, 3, "past the bound one row makes room")
	require.Equal(t, int64(3), total.Load())
	require.Equal(t, uint64(1), evicted.Load())
	require.True(t, l.unchanged(ptr(updateRow(tb, int64(3), []string{"a"}, "v"))))
	require.False(t, l.unchanged(ptr(updateRow(tb, int64(-3), []string{"a"}, "v"))), "another row")
	require.False(t, l.unchanged(ptr(updateRow(tb, int64(3), []string{"a"}, "w"))))
	require.False(t, l.unchanged(ptr(updateRow(tb, int64(3), []string{"b"}, "v"))))
	require.False(t, l.unchanged(ptr(updateRow(tb, uint64(3), []string{"a"}, []byte("v")))), "another type is another value")
	require.True(t, l.unchanged(ptr(updateRow(tb, uint64(3), []string{"a"}, "v"))), "an unsigned key is the same row")

	// A run's writes count for its later operations only once committed.
	l.begin(0)
	write(4)
	require.True(t, l.unchanged(ptr(updateRow(tb, int64(4), []string{"a"}, "v"))))
	l.begin(0)
	require.False(t, l.unchanged(ptr(updateRow(tb, int64(4), []string{"a"}, "v"))), "the attempt failed")
	l.begin(1)
	require.False(t, l.unchanged(ptr(updateRow(tb, int64(3), []string{"a"}, "v"))), "a barrier ran")
	require.Equal(t, int64(0), total.Load())

	// Another worker holds the bound: nothing more is remembered.
	total.Store(limit)
	write(5)
	l.commit()
	require.Empty(t, l.rows)
	require.Equal(t, int64(limit), total.Load())
}

func ptr[T any](v T) *T { return &v }

func TestLastWritesKeys(t *testing.T) {
	var total atomic.Int64
	l := newLastWrites(&total, new(atomic.Uint64), DefaultRememberedRows)
	one, two, three := table("one", "id"), table("two", "a", "b"), table("three", "a", "b", "c")
	update := func(tb *change.TargetTable, key ...change.Value) *change.TargetOp {
		return &change.TargetOp{Target: tb, Kind: change.UpdateRow, Key: key, Columns: []string{"x"}, Values: []change.Value{"v"}}
	}
	l.wrote(&item{op: *update(one, int64(1))})
	l.wrote(&item{op: *update(three, int64(1), int64(2), int64(3))})
	l.commit()
	require.False(t, l.unchanged(update(three, int64(1), int64(2), int64(3))), "three key columns are not remembered")
	require.True(t, l.unchanged(update(one, int64(1))), "nor do they make the worker forget")

	l.wrote(&item{op: *update(two, int64(-1), uint64(1))})
	require.True(t, l.unchanged(update(two, int64(-1), int64(1))))
	require.False(t, l.unchanged(update(two, uint64(1<<64-1), uint64(1))), "a negative key is not its unsigned bits")

	// A remembered table written under a string key forgets everything.
	l.wrote(&item{op: *update(one, "1")})
	require.False(t, l.unchanged(update(one, int64(1))))
	require.False(t, l.unchanged(update(two, int64(-1), int64(1))))
	require.Equal(t, int64(0), total.Load())
}
