package mysql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// splitSmallRuns lets runs of 16 operations be split, until the test ends.
func splitSmallRuns(t *testing.T) {
	old := minSplitOps
	minSplitOps = 8
	t.Cleanup(func() { minSplitOps = old })
}

// TestSplitRunsKeepTheSourcesRows writes the changes of a source table
// with a unique email through a sink that splits runs into small parts:
// first inserts and renames, then also inserts that take emails others
// freed, email changes, deletes, and swaps of two rows' emails through a
// temporary value, which make parts meet on a unique value. The target
// must end as the source, runs must have been split, and some must have
// fallen back to one connection.
func TestSplitRunsKeepTheSourcesRows(t *testing.T) {
	splitSmallRuns(t)
	tg := startTarget(t, "CREATE TABLE tgt.people (id INT PRIMARY KEY, email VARCHAR(20) NOT NULL, name VARCHAR(20), UNIQUE KEY email (email))")
	people := table("people", "id")
	all := []string{"id", "email", "name"}
	type person struct{ email, name string }
	src := map[int64]person{}
	holder := map[string]int64{}
	rng := rand.New(rand.NewPCG(5, 6))
	freeEmail := func() string {
		for {
			if e := fmt.Sprintf("e%d", rng.IntN(300)); holder[e] == 0 {
				return e
			}
		}
	}
	existing := func() (int64, bool) {
		if len(src) == 0 {
			return 0, false
		}
		ids := make([]int64, 0, len(src))
		for id := range src {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))], true
	}
	write := func(ops []change.TargetOp, id int64, p person) []change.TargetOp {
		if q, ok := src[id]; ok {
			delete(holder, q.email)
		}
		src[id], holder[p.email] = p, id
		return append(ops, upsert(people, all, id, p.email, p.name))
	}
	var txns []*change.Txn
	for seq := uint64(1); seq <= 3000; seq++ {
		var ops []change.TargetOp
		for range 1 + rng.IntN(5) {
			id, ok := existing()
			k := rng.IntN(10)
			if seq <= 1000 {
				// First only inserts of new emails and renames: no two
				// rows meet on an email, and runs are written split.
				k = min(k, 6)
				if k >= 4 {
					k = 6
				}
			}
			switch {
			case !ok || k < 4:
				id := int64(1 + rng.IntN(200))
				if _, taken := src[id]; !taken {
					ops = write(ops, id, person{freeEmail(), fmt.Sprintf("n%d", rng.IntN(5))})
				}
			case k < 6:
				ops = write(ops, id, person{freeEmail(), src[id].name})
			case k < 7:
				p := src[id]
				p.name = fmt.Sprintf("n%d", rng.IntN(5))
				src[id] = p
				ops = append(ops, updateRow(people, id, []string{"name"}, p.name))
			case k < 8:
				delete(holder, src[id].email)
				delete(src, id)
				ops = append(ops, del(people, id))
			default:
				other, _ := existing()
				if other == id {
					continue
				}
				a, b := src[id], src[other]
				ops = write(ops, id, person{fmt.Sprintf("t%d", id), a.name})
				ops = write(ops, other, person{a.email, b.name})
				ops = write(ops, id, person{b.email, a.name})
			}
		}
		txns = append(txns, txn(seq, ops...))
	}
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 16, StatementsPerTxn: 8})
	applyAll(t, s, txns...)

	var want []string
	for id, p := range src {
		want = append(want, fmt.Sprintf("%03d|%s|%s", id, p.email, p.name))
	}
	slices.Sort(want)
	require.Equal(t, want, tg.dump(t, "SELECT LPAD(id, 3, '0'), email, name FROM people ORDER BY id"))
	require.NotZero(t, s.split.runs.Load(), "runs were split")
	require.NotZero(t, s.split.fallbacks.Load(), "parts that met on an email fell back to one connection")
	t.Logf("split runs %d, fallbacks %d", s.split.runs.Load(), s.split.fallbacks.Load())
}

// TestSplitRunsOfKeysEqualUnderTheCollation writes upserts of string keys
// that differ only in case, so one row's operations go to two parts: they
// meet on the row's lock, and the run falls back to one connection.
func TestSplitRunsOfKeysEqualUnderTheCollation(t *testing.T) {
	splitSmallRuns(t)
	tg := startTarget(t, "CREATE TABLE tgt.tags (name VARCHAR(20) PRIMARY KEY, slug VARCHAR(20) NOT NULL, n INT, UNIQUE KEY slug (slug))")
	tags := table("tags", "name")
	cols := []string{"name", "slug", "n"}
	type tag struct {
		name, slug string
		n          int
	}
	var ops []change.TargetOp
	want := map[string]tag{}
	for i := range 200 {
		name := fmt.Sprintf("tag%d", i%50)
		if i/50%2 == 1 {
			name = strings.ToUpper(name)
		}
		slug := fmt.Sprintf("s%d", i%50)
		ops = append(ops, upsert(tags, cols, name, slug, int64(i)))
		r, ok := want[strings.ToLower(name)]
		if !ok {
			r.name = name // the row keeps the name it was inserted under
		}
		r.slug, r.n = slug, i
		want[strings.ToLower(name)] = r
	}
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 16, StatementsPerTxn: 16})
	applyAll(t, s, txn(1, ops...))
	var rows []string
	for _, r := range want {
		rows = append(rows, fmt.Sprintf("%s|%s|%d", r.name, r.slug, r.n))
	}
	slices.Sort(rows)
	got := tg.dump(t, "SELECT name, slug, n FROM tags")
	slices.Sort(got)
	require.Equal(t, rows, got)
	require.NotZero(t, s.split.fallbacks.Load(), "the parts met on rows")
}

// TestPartOfSpreadsNeighbouringKeys checks that a run of neighbouring
// integer keys spreads over the parts, as do string keys that differ only
// in their bytes' higher bits, and that equal keys of either integer type
// go to one part.
func TestPartOfSpreadsNeighbouringKeys(t *testing.T) {
	people := table("people", "id")
	ints, strs := make([]int, 4), make([]int, 4)
	for id := range int64(100_000) {
		op := del(people, id)
		ints[partOf(&op, 4)]++
		name := fmt.Sprintf("a%d", id)
		if id%2 == 1 {
			name = strings.ToUpper(name)
		}
		op = del(people, name)
		strs[partOf(&op, 4)]++
	}
	for i := range 4 {
		require.InDelta(t, 25_000, ints[i], 3750, "integer keys %v", ints)
		require.InDelta(t, 25_000, strs[i], 3750, "string keys %v", strs)
	}
	same := del(people, uint64(7))
	again := del(people, int64(7))
	require.Equal(t, partOf(&same, 4), partOf(&again, 4), "equal integer keys go to one part")
}

// TestSplitRunsOff checks that split_runs: off writes every run whole.
func TestSplitRunsOff(t *testing.T) {
	splitSmallRuns(t)
	tg := startTarget(t, "CREATE TABLE tgt.people (id INT PRIMARY KEY, email VARCHAR(20) NOT NULL, UNIQUE KEY email (email))")
	people := table("people", "id")
	var ops []change.TargetOp
	for i := range 200 {
		ops = append(ops, upsert(people, []string{"id", "email"}, int64(i), fmt.Sprintf("e%d", i)))
	}
	s := tg.sink(t, Options{Workers: 4, SplitRuns: SplitOff})
	applyAll(t, s, txn(1, ops...))
	require.Len(t, tg.dump(t, "SELECT id FROM people"), 200)
	require.Zero(t, s.split.runs.Load()+s.split.fallbacks.Load())

	on := startTarget(t, "CREATE TABLE tgt.people (id INT PRIMARY KEY, email VARCHAR(20) NOT NULL, UNIQUE KEY email (email))")
	s = on.sink(t, Options{Workers: 4})
	applyAll(t, s, txn(1, ops...))
	require.Len(t, on.dump(t, "SELECT id FROM people"), 200)
	require.Equal(t, uint64(1), s.split.runs.Load(), "the same run is split by default")
}

// TestShortRunsCompactInOnePart checks that a run too short to split is
// still compacted, in one part, and that one whose compacted order meets
// a unique value falls back to its own order.
func TestShortRunsCompactInOnePart(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.people (id INT PRIMARY KEY, email VARCHAR(20) NOT NULL, UNIQUE KEY email (email))")
	people := table("people", "id")
	cols := []string{"id", "email"}
	var ops []change.TargetOp
	for i := range 20 {
		ops = append(ops, upsert(people, cols, int64(i), fmt.Sprintf("e%d", i)), del(people, int64(i+100)))
	}
	s := tg.sink(t, Options{Workers: 4})
	applyAll(t, s, txn(1, ops...))
	require.Len(t, tg.dump(t, "SELECT id FROM people"), 20)
	require.Equal(t, uint64(1), s.split.runs.Load(), "40 operations in 40 statements, compacted into two")

	// Row 0 gives e0 to row 1 through a temporary value; compacted, row
	// 0's two upserts would become one, written before row 1 frees e1.
	applyAll(t, s, txn(2, upsert(people, cols, int64(0), "tmp"), del(people, int64(100)),
		upsert(people, cols, int64(1), "e0"), del(people, int64(101)), upsert(people, cols, int64(0), "e1")))
	require.Equal(t, []string{"0|e1", "1|e0"}, tg.dump(t, "SELECT id, email FROM people WHERE id < 2 ORDER BY id"))
	require.Equal(t, uint64(1), s.split.fallbacks.Load())
}
