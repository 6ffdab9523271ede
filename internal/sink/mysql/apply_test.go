package mysql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestApplyInOrder(t *testing.T) {
	tg := startTarget(t,
		"CREATE TABLE tgt.users (id BIGINT PRIMARY KEY, name VARCHAR(20), score INT)",
		"CREATE TABLE tgt.lines (o INT, l INT, qty INT, PRIMARY KEY (o, l))")
	users, lines := table("users", "id"), table("lines", "o", "l")
	nameCols, scoreCols := []string{"id", "name"}, []string{"id", "score"}
	parts := []*change.Txn{
		txn(1, upsert(users, nameCols, int64(1), "a"), upsert(users, nameCols, int64(2), "b"),
			upsert(users, scoreCols, int64(1), int64(10))),
		// Key change of user 2 to 3: delete old plus upsert new.
		txn(2, del(users, int64(2)), upsert(users, nameCols, int64(3), "b")),
		// Delete then re-insert the same key, and the reverse.
		txn(3, del(users, int64(1)), upsert(users, nameCols, int64(1), "a2"),
			upsert(users, nameCols, int64(4), "d"), del(users, int64(4))),
		txn(4, upsert(lines, []string{"o", "l", "qty"}, int64(1), int64(1), int64(5)),
			upsert(lines, []string{"o", "l", "qty"}, int64(1), int64(2), int64(6)),
			del(lines, int64(1), int64(1)), upsert(lines, []string{"o", "l"}, int64(2), int64(1))),
	}
	want := map[string][]string{
		"SELECT * FROM users ORDER BY id":     {"1|a2|NULL", "3|b|NULL"},
		"SELECT * FROM `lines` ORDER BY o, l": {"1|2|6", "2|1|NULL"},
	}
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			tg.srv.Exec(t, "DELETE FROM tgt.users", "DELETE FROM tgt.`lines`")
			s := tg.sink(t, Options{Workers: workers, RowsPerStatement: 2, StatementsPerTxn: 3})
			applyAll(t, s, parts...)
			for q, rows := range want {
				require.Equal(t, rows, tg.dump(t, q), q)
			}
			// Replaying everything, and any suffix, converges to the same state.
			for i := range parts {
				applyAll(t, s, parts[i:]...)
				for q, rows := range want {
					require.Equal(t, rows, tg.dump(t, q), "replay from part %d: %s", i, q)
				}
			}
		})
	}
}

func TestParallelKeepsPerKeyOrder(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v BIGINT, w VARCHAR(10))")
	kv := table("kv", "id")
	rng := rand.New(rand.NewPCG(1, 2))
	type row struct{ v, w string }
	want := map[int64]row{}
	var parts []*change.Txn
	var ops []change.TargetOp
	for i := range 10000 {
		k := int64(rng.IntN(100))
		switch rng.IntN(4) {
		case 0:
			ops = append(ops, del(kv, k))
			delete(want, k)
		case 1:
			ops = append(ops, upsert(kv, []string{"id", "w"}, k, fmt.Sprint(i%7)))
			r, ok := want[k]
			if !ok {
				r.v = "NULL"
			}
			r.w = fmt.Sprint(i % 7)
			want[k] = r
		default:
			ops = append(ops, upsert(kv, []string{"id", "v", "w"}, k, int64(i), "x"))
			want[k] = row{fmt.Sprint(i), "x"}
		}
		if len(ops) == 37 {
			parts = append(parts, txn(uint64(len(parts)+1), ops...))
			ops = nil
		}
	}
	parts = append(parts, txn(uint64(len(parts)+1), ops...))
	var rows []string
	for k := range int64(100) {
		if r, ok := want[k]; ok {
			rows = append(rows, fmt.Sprintf("%d|%s|%s", k, r.v, r.w))
		}
	}
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 50, StatementsPerTxn: 5})
	applyAll(t, s, parts...)
	require.Equal(t, rows, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
}

func TestSecondaryUniqueKeySwap(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.people (id INT PRIMARY KEY, email VARCHAR(40) NOT NULL, UNIQUE KEY email (email))")
	people := table("people", "id")
	cols := []string{"id", "email"}
	var setup []change.TargetOp
	for i := range 200 {
		setup = append(setup, upsert(people, cols, int64(i), fmt.Sprintf("e%d", i)))
	}
	// Every pair (2i, 2i+1) swaps emails through a temporary value, as a
	// source must do under the unique key.
	var parts []*change.Txn
	for i := 0; i < 200; i += 2 {
		parts = append(parts, txn(uint64(i+2),
			upsert(people, cols, int64(i), fmt.Sprintf("tmp%d", i)),
			upsert(people, cols, int64(i+1), fmt.Sprintf("e%d", i)),
			upsert(people, cols, int64(i), fmt.Sprintf("e%d", i+1))))
	}
	var want []string
	for i := range 200 {
		want = append(want, fmt.Sprintf("%d|e%d", i, i^1))
	}
	s := tg.sink(t, Options{Workers: 4})
	applyAll(t, s, txn(1, setup...))
	applyAll(t, s, parts...)
	require.Equal(t, want, tg.dump(t, "SELECT id, email FROM people ORDER BY id"))
	require.True(t, s.keys.mu.tables[tableKey{"tgt", "people"}].serial)
}

// A key changed to a value its collation takes for the same (case, PAD
// SPACE, accents) is a delete of one key and an upsert of another naming
// the same row: they go through one worker in order, or the delete
// applied last would delete the row. Printable ASCII keys are routed by
// their folded form, over every worker; the first key outside it moves
// the table to one worker, as do a collation that takes two folded
// forms for one value and an ENUM. Keys compared by bytes keep their
// workers.
func TestKeysEqualUnderTheCollation(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.ci (k VARCHAR(20) COLLATE utf8mb4_general_ci PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.bin (k VARBINARY(20) PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.nopad (k VARCHAR(20) COLLATE utf8mb4_nopad_bin PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.num (k INT PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.fixed (k CHAR(20) COLLATE utf8mb4_nopad_bin PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.member (k ENUM('a','b') PRIMARY KEY, v INT)",
		"CREATE TABLE tgt.lt (k VARCHAR(20) COLLATE utf8mb4_lithuanian_ci PRIMARY KEY, v INT)")
	ci := table("ci", "k")
	cols := []string{"k", "v"}
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 10, StatementsPerTxn: 2})
	const n = 200
	var setup []change.TargetOp
	for i := range n {
		setup = append(setup, upsert(ci, cols, fmt.Sprintf("ke%d", i), int64(i)))
	}
	applyAll(t, s, txn(1, setup...))
	rename := func(from, round int, next func(i int, key string) string) (parts []*change.Txn, want []string) {
		for i := range n {
			key := fmt.Sprintf("ke%d", i)
			if round > 0 {
				key = next(i, key)
			}
			to := next(i, fmt.Sprintf("ke%d", i))
			if round > 0 {
				to = strings.ToLower(strings.TrimSpace(to))
			}
			parts = append(parts, txn(uint64(from+i), del(ci, key), upsert(ci, cols, to, int64(i+round))))
			want = append(want, fmt.Sprintf("%s|%d", strings.TrimSpace(to), i+round))
		}
		slices.Sort(want)
		return parts, want
	}
	ascii := func(i int, key string) string {
		if i%2 == 1 {
			return key + " " // trailing space: equal under PAD SPACE
		}
		return strings.ToUpper(key)
	}
	ctx := context.Background()
	check := func(want []string) {
		got := tg.dump(t, "SELECT TRIM(k), v FROM ci")
		slices.Sort(got)
		require.Equal(t, want, got, "every row is there, with its new key")
	}
	// Case and trailing spaces: routed by the folded key, and back.
	parts, want := rename(2, 0, ascii)
	applyAll(t, s, parts...)
	check(want)
	parts, want = rename(2+n, 1, ascii)
	applyAll(t, s, parts...)
	check(want)
	info, err := s.keys.info(ctx, ci)
	require.NoError(t, err)
	require.False(t, info.serial, "printable ASCII keys spread over the workers")
	// Accents, equal under the collation, in one transaction of every
	// delete, then every upsert: the first accent moves the table to one
	// worker, once the deletes queued on the others are applied. Writes
	// to a table of another worker come first, so the deletes queued
	// there are applied last unless the move waits for them.
	accent := func(i int, key string) string { return strings.Replace(key, "e", "é", 1) }
	parts, want = rename(2+2*n, 0, accent)
	one := spread(rowHash(&change.TargetOp{Target: ci}, false, routeBlock), 4)
	var ops []change.TargetOp
	for _, name := range []string{"busy1", "busy2", "busy3", "busy4"} {
		busy := table(name, "id")
		s.keys.mu.tables[tableKey{"tgt", name}] = keyInfo{serial: true}
		if w, _ := s.route(ctx, &change.TargetOp{Target: busy}); w != one {
			_, err := tg.db.Exec("CREATE TABLE tgt." + name + " (id INT PRIMARY KEY, v INT)")
			require.NoError(t, err)
			for i := range 2000 {
				ops = append(ops, upsert(busy, []string{"id", "v"}, int64(i), int64(i)))
			}
			break
		}
	}
	require.NotEmpty(t, ops, "a table of another worker")
	for _, p := range parts {
		ops = append(ops, p.Ops[0])
	}
	for _, p := range parts {
		ops = append(ops, p.Ops[1])
	}
	applyAll(t, s, txn(2+2*n, ops...))
	check(want)
	info, err = s.keys.info(ctx, ci)
	require.NoError(t, err)
	require.True(t, info.serial, "a key outside printable ASCII moved the table to one worker")

	for name, want := range map[string]keyInfo{
		"ci": {fold: []bool{true}, serial: true}, "bin": {}, "nopad": {}, "num": {},
		"fixed": {fold: []bool{true}}, "member": {fold: []bool{true}, serial: true},
		"lt": {fold: []bool{true}, serial: true}, // "y" is "i"
	} {
		info, err := s.keys.info(ctx, table(name, "k"))
		require.NoError(t, err)
		info.primary = false
		require.Equal(t, want, info, "table %s", name)
	}
}

func TestFlushWaitsForPriorApplies(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v INT)")
	kv := table("kv", "id")
	s := tg.sink(t, Options{Workers: 3, RowsPerStatement: 10, StatementsPerTxn: 2})
	ctx := context.Background()
	for round := range 5 {
		for i := range 500 {
			require.NoError(t, s.Apply(ctx, txn(uint64(i+1), upsert(kv, []string{"id", "v"}, int64(round*500+i), int64(i)))))
		}
		require.NoError(t, s.Flush(ctx))
		var n int
		require.NoError(t, tg.db.QueryRow("SELECT COUNT(*) FROM kv").Scan(&n))
		require.Equal(t, (round+1)*500, n)
	}
	// A Flush with nothing queued returns at once.
	fctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	require.NoError(t, s.Flush(fctx))
}

func TestClosedSinkRefusesWork(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v INT)")
	s := tg.sink(t, Options{})
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Apply(context.Background(), txn(1, upsert(table("kv", "id"), []string{"id"}, int64(1)))), ErrClosed)
	require.ErrorIs(t, s.Flush(context.Background()), ErrClosed)
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, err := New(context.Background(), Options{Workers: -1, OnError: OnErrorRecord})
	require.ErrorContains(t, err, "either dsn or host is required")
	require.ErrorContains(t, err, "workers: must be between 1 and 256")
	require.ErrorContains(t, err, "on_error: record needs a failed-changes store")
}

func TestRunStopsOnItsContext(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id BIGINT PRIMARY KEY, v TEXT)")
	s, err := New(context.Background(), Options{DataSourceName: tg.srv.DSN("root", "", "tgt"), Workers: 2})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.NoError(t, s.Apply(ctx, txn(1, upsert(table("kv", "id"), []string{"id", "v"}, int64(1), "a"))))
	require.NoError(t, s.Flush(ctx))
	cancel()
	require.NoError(t, <-done)
	require.ErrorIs(t, s.Flush(context.Background()), ErrStopped, "a stopped sink fails fast")
	require.ErrorIs(t, s.Apply(context.Background(), txn(2, upsert(table("kv", "id"), []string{"id", "v"}, int64(2), "b"))), ErrStopped)
	require.Equal(t, []string{"1|a"}, tg.dump(t, "SELECT id, v FROM tgt.kv"))
}

// TestRandomOperationsMatchAModel applies random transactions of upserts
// with varying columns, updates with and without conditions and deletes,
// over few rows of two tables (one with a two-column key), through a sink
// with several workers and small statements, and requires after every 25
// transactions the rows a model of the target holds after applying them
// one by one. A quarter of the operations repeat one of the last six.
func TestRandomOperationsMatchAModel(t *testing.T) {
	t.Run("tables keyed by their primary key alone", func(t *testing.T) {
		randomOperationsMatchAModel(t, "", "")
	})
	// A second unique key that holds whatever the rows: the tables go to
	// one worker each, which splits and compacts their runs (split.go).
	t.Run("tables with a second unique key", func(t *testing.T) {
		splitSmallRuns(t)
		randomOperationsMatchAModel(t, ", UNIQUE KEY (id, v)", ", UNIQUE KEY (id, k, v)")
	})
}

func randomOperationsMatchAModel(t *testing.T, uniqueA, uniqueC string) {
	tg := startTarget(t,
		"CREATE TABLE tgt.a (id INT PRIMARY KEY, v VARCHAR(10), w VARCHAR(10), u VARCHAR(10)"+uniqueA+")",
		"CREATE TABLE tgt.c (id INT, k INT, v VARCHAR(10), w VARCHAR(10), u VARCHAR(10), PRIMARY KEY (id, k)"+uniqueC+")")
	a, c := table("a", "id"), table("c", "id", "k")
	var newRandomOp func() change.TargetOp
	rng := rand.New(rand.NewPCG(3, 4))
	// recent holds the last operations: one is sometimes sent again, as a
	// contributor's change writes what a lookup already wrote, which the
	// workers' memory of their last writes may leave out (unchanged.go).
	var recent []change.TargetOp
	randomOp := func() change.TargetOp {
		if len(recent) > 0 && rng.IntN(4) == 0 {
			return recent[rng.IntN(len(recent))]
		}
		op := newRandomOp()
		recent = append(recent, op)
		if len(recent) > 6 {
			recent = recent[1:]
		}
		return op
	}
	newRandomOp = func() change.TargetOp {
		tb, key := a, []change.Value{int64(rng.IntN(8))}
		if rng.IntN(2) == 0 {
			tb, key = c, []change.Value{int64(rng.IntN(4)), int64(rng.IntN(2))}
		}
		var cs []string
		var vs []change.Value
		for _, col := range []string{"v", "w", "u"} {
			if rng.IntN(2) == 0 {
				cs = append(cs, col)
				vs = append(vs, fmt.Sprintf("%s%d", col, rng.IntN(3)))
			}
		}
		if len(cs) == 0 {
			cs, vs = []string{"v"}, []change.Value{"v9"}
		}
		switch rng.IntN(7) {
		case 0, 1:
			return change.TargetOp{Target: tb, Kind: change.Upsert, Key: key,
				Columns: append(slices.Clone(tb.Key), cs...), Values: append(slices.Clone(key), vs...)}
		case 2, 3:
			return change.TargetOp{Target: tb, Kind: change.UpdateRow, Key: key, Columns: cs, Values: vs}
		case 4:
			return change.TargetOp{Target: tb, Kind: change.UpdateRow, Key: key, Columns: cs, Values: vs,
				Cond: []string{"v"}, CondValues: []change.Value{fmt.Sprintf("v%d", rng.IntN(3))}}
		}
		return change.TargetOp{Target: tb, Kind: change.DeleteRow, Key: key}
	}
	// rows renders the model as the target's rows are dumped below.
	rows := func(m model) []string {
		var out []string
		for k, r := range m {
			name, key, _ := strings.Cut(k, "/")
			field := func(col string) string {
				if v, ok := r[col]; ok {
					return fmt.Sprint(v)
				}
				return "NULL"
			}
			out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s", name, strings.ReplaceAll(key, " ", "|"), field("v"), field("w"), field("u")))
		}
		slices.Sort(out)
		return out
	}
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 4, StatementsPerTxn: 6})
	want := model{}
	seq := uint64(0)
	for round := range 80 {
		var parts []*change.Txn
		for range 25 {
			var ops []change.TargetOp
			for range 1 + rng.IntN(6) {
				op := randomOp()
				want.apply(op)
				ops = append(ops, op)
			}
			seq++
			parts = append(parts, txn(seq, ops...))
		}
		applyAll(t, s, parts...)
		got := append(tg.dump(t, "SELECT 'a', id, v, w, u FROM a"), tg.dump(t, "SELECT 'c', id, k, v, w, u FROM c")...)
		slices.Sort(got)
		require.Equal(t, rows(want), got, "after round %d", round)
	}
	require.NotZero(t, s.Unchanged(), "repeated updates were left out")
	if uniqueA != "" {
		require.NotZero(t, s.split.runs.Load(), "runs were split")
	}
}
