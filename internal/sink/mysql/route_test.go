package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestOneTransactionSpreadsOverWorkers routes the rows of one large
// insert, consecutive integer keys of one table, over four workers: each
// gets a fair share, in runs of 256 neighbours, so a bulk load is applied
// by every connection at once.
func TestOneTransactionSpreadsOverWorkers(t *testing.T) {
	const rows, workers = 100_000, 4
	s := &Sink{lanes: []*lane{{n: workers}}, keys: newKeyCache(nil, nil, nil)}
	bulk := table("bulk", "id")
	s.keys.mu.tables[tableKey{"tgt", "bulk"}] = keyInfo{primary: true}
	counts := make([]int, workers)
	runs := 0
	last := -1
	for id := range rows {
		w, err := s.route(context.Background(), &change.TargetOp{Target: bulk, Key: []change.Value{int64(id)}})
		require.NoError(t, err)
		counts[w]++
		if w != last {
			runs++
			last = w
		}
	}
	for w, n := range counts {
		require.InDelta(t, rows/workers, n, rows/workers/4, "worker %d", w)
	}
	require.LessOrEqual(t, runs, rows/256+1, "neighbouring keys share a worker")
}

// Routing an operation by an integer key of any size allocates nothing:
// it runs for every operation.
func TestRowHashAllocatesNothing(t *testing.T) {
	op := &change.TargetOp{Target: &change.TargetTable{Schema: "s", Name: "t"}, Key: []change.Value{int64(1234567), uint64(1 << 40)}}
	require.Zero(t, testing.AllocsPerRun(100, func() { rowHash(op, true, routeBlock) }))
}

// Strings a loose collation may take for equal (case, trailing spaces)
// route alike when they are printable ASCII, and any other string is
// refused; binary values of such a column too. Folding allocates
// nothing.
func TestFoldedHash(t *testing.T) {
	tb := &change.TargetTable{Schema: "s", Name: "t", Key: []string{"id", "name"}}
	fold := []bool{false, true}
	hash := func(name change.Value) (uint64, bool) {
		return foldedHash(&change.TargetOp{Target: tb, Key: []change.Value{int64(7), name}}, fold)
	}
	want, ok := hash("a-Key.1")
	require.True(t, ok)
	for _, same := range []string{"A-KEY.1", "a-key.1  ", "a-kEy.1 "} {
		got, ok := hash(same)
		require.True(t, ok, same)
		require.Equal(t, want, got, same)
	}
	other, ok := hash("a-key.2")
	require.True(t, ok)
	require.NotEqual(t, want, other)
	long := strings.Repeat("0123456789abcdef", 10)
	l1, _ := hash(long)
	l2, _ := hash(strings.ToUpper(long) + " ")
	require.Equal(t, l1, l2, "longer than one chunk")
	for _, refused := range []change.Value{"a-key.1\t", "a-kéy.1", "Ａ", "a\x00", []byte("a")} {
		_, ok := hash(refused)
		require.False(t, ok, "%q", refused)
	}
	_, ok = hash(nil)
	require.True(t, ok, "NULL")
	op := &change.TargetOp{Target: tb, Key: []change.Value{int64(7), "6f1c2a9e-0b7d-4c1e-9a3f-2d5e8b7c4a10"}}
	require.Zero(t, testing.AllocsPerRun(100, func() { foldedHash(op, fold) }))
}

// TestFoldingCollations checks, on the test server, every collation
// foldingCollation accepts: two strings of one or two printable ASCII
// characters that it takes for one value (by their weights) fold to one
// form. It also finds the legacy and tailored collations it refuses
// taking two such strings of different forms for one.
func TestFoldingCollations(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.strs (v VARBINARY(2) NOT NULL)")
	var vals []string
	for a := byte(0x20); a < 0x7f; a++ {
		vals = append(vals, string(a))
		for b := byte(0x20); b < 0x7f; b++ {
			vals = append(vals, string([]byte{a, b}))
		}
	}
	for lo := 0; lo < len(vals); lo += 1000 {
		chunk := vals[lo:min(lo+1000, len(vals))]
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = []byte(v)
		}
		_, err := tg.db.Exec("INSERT INTO strs VALUES "+strings.TrimSuffix(strings.Repeat("(?),", len(chunk)), ","), args...)
		require.NoError(t, err)
	}
	rows, err := tg.db.Query("SELECT FULL_COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY")
	require.NoError(t, err)
	type collation struct{ name, charset string }
	var all []collation
	for rows.Next() {
		var c collation
		require.NoError(t, rows.Scan(&c.name, &c.charset))
		all = append(all, c)
	}
	require.NoError(t, rows.Err())
	// mixed counts the weights shared by strings of different folded
	// forms.
	mixed := func(c collation) int {
		var n int
		require.NoError(t, tg.db.QueryRow(`SELECT COUNT(DISTINCT f, w) - COUNT(DISTINCT w) FROM (
			SELECT LOWER(RTRIM(CONVERT(v USING ascii))) f,
				WEIGHT_STRING(CONVERT(CONVERT(v USING ascii) USING `+c.charset+`) COLLATE `+c.name+`) w FROM strs) x`).Scan(&n), c.name)
		return n
	}
	var checked []string
	for _, c := range all {
		if foldingCollation(c.name) {
			require.Zero(t, mixed(c), "%s takes strings of different folded forms for one value", c.name)
			checked = append(checked, c.name)
		}
	}
	require.Contains(t, checked, "utf8mb4_general_ci")
	require.Contains(t, checked, "utf8mb4_unicode_ci")
	require.Contains(t, checked, "latin1_swedish_ci")
	for _, refused := range []collation{{"utf8mb4_lithuanian_ci", "utf8mb4"}, {"utf8mb4_roman_ci", "utf8mb4"}, {"big5_chinese_ci", "big5"}} {
		require.False(t, foldingCollation(refused.name))
		require.NotZero(t, mixed(refused), refused.name)
	}
	t.Logf("%d collations of %d fold printable ASCII by case and trailing spaces", len(checked), len(all))
}
