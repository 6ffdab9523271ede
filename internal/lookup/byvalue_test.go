package lookup

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// An integer match column is searched by value (WHERE m IN (...)): every
// set gets its rows in order, sets of equal value (int64 and uint64) each
// their own copy, extremes and values nothing matches included; other
// parameters join the derived table of sets as before, with the same rows.
func TestSearchByIntegerValue(t *testing.T) {
	srv := startSource(t,
		"CREATE TABLE src.steps (id BIGINT UNSIGNED PRIMARY KEY, recipe BIGINT UNSIGNED, pos INT, body VARCHAR(20), KEY (recipe, pos))",
		"INSERT INTO src.steps VALUES (1, 7, 2, 'b'), (2, 7, 1, 'a'), (3, 18446744073709551615, 1, 'max'), (4, 9, 1, 'nine')",
		"CREATE TABLE src.signed (id INT PRIMARY KEY, k INT, v VARCHAR(5))",
		"INSERT INTO src.signed VALUES (1, -5, 'neg'), (2, 5, 'pos')")
	r := resolver(t, srv, Options{})
	ctx := context.Background()
	run := func(table string, sel, order []string, params ...change.Value) (*search, []int) {
		match := "recipe"
		if table == "signed" {
			match = "k"
		}
		s := newSearch("l", tableKey{"src", "src", table}, []string{match}, sel, order)
		var idx []int
		for _, p := range params {
			i, err := s.add([]change.Value{p})
			require.NoError(t, err)
			idx = append(idx, i)
		}
		require.NoError(t, r.find(ctx, []*search{s}, "reading"))
		return s, idx
	}
	s, idx := run("steps", []string{"body"}, []string{"pos", "id"},
		int64(7), uint64(7), uint64(18446744073709551615), int64(8), int64(9))
	require.True(t, s.byValue(idx))
	rows := func(i int) []change.Row { return s.rows[idx[i]] }
	require.Equal(t, []change.Row{{"a"}, {"b"}}, rows(0), "ordered by the order columns")
	require.Equal(t, rows(0), rows(1))
	rows(1)[0][0] = "changed"
	require.Equal(t, "a", rows(0)[0][0], "sets of equal value do not share rows")
	require.Equal(t, []change.Row{{"max"}}, rows(2))
	require.Empty(t, rows(3))
	require.Equal(t, []change.Row{{"nine"}}, rows(4))

	s, idx = run("signed", []string{"v"}, nil, int64(-5), int64(5), int64(6))
	require.True(t, s.byValue(idx))
	require.Equal(t, []change.Row{{"neg"}}, s.rows[idx[0]])
	require.Equal(t, []change.Row{{"pos"}}, s.rows[idx[1]])
	require.Empty(t, s.rows[idx[2]])

	// A text parameter compares as the server converts it: joined.
	s, idx = run("signed", []string{"v"}, nil, "5", int64(-5))
	require.False(t, s.byValue(idx))
	require.Equal(t, []change.Row{{"pos"}}, s.rows[idx[0]])
	require.Equal(t, []change.Row{{"neg"}}, s.rows[idx[1]])
}
