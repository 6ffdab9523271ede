package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestNewLanes(t *testing.T) {
	tests := []struct {
		name    string
		sources map[string][]string
		// want gives each lane's sources; byTable each table's lane index.
		want    []string
		byTable map[string]int
	}{
		{name: "no lookups", want: []string{""}, byTable: map[string]int{}},
		{
			name:    "tables sharing a set share a lane",
			sources: map[string][]string{"g.a": {"l"}, "g.b": {"m", "l"}, "g.c": {"l"}, "g.d": {"l", "m", "l"}},
			want:    []string{"", "l", "l,m"},
			byTable: map[string]int{"g.a": 1, "g.b": 2, "g.c": 1, "g.d": 2},
		},
		{name: "an empty set is the first lane", sources: map[string][]string{"g.a": nil}, want: []string{""}, byTable: map[string]int{"g.a": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lanes, byTable := newLanes(tt.sources, 3)
			var got []string
			for i, l := range lanes {
				got = append(got, l.sources)
				require.Equal(t, i*3, l.first)
				require.Equal(t, 3, l.n)
			}
			require.Equal(t, tt.want, got)
			gotTables := map[string]int{}
			for name, l := range byTable {
				gotTables[name] = l.first / 3
			}
			require.Equal(t, tt.byTable, gotTables)
		})
	}
}

// stuckResolver is a fakeResolver whose calls wait until release is
// closed, as a lookup on a source that does not answer does.
type stuckResolver struct {
	fakeResolver
	release chan struct{}
}

func (r *stuckResolver) Resolve(ctx context.Context, ops []*change.TargetOp) error {
	select {
	case <-r.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.fakeResolver.Resolve(ctx, ops)
}

// While the lookups of recipes wait for their source, the operations of
// tables that look nothing up are applied, their sources flushed and a
// table statement on them goes through; recipes' own writers, with or
// without lookups, wait in order and converge once the source answers.
func TestLaneOfStuckLookupHoldsOnlyItsTables(t *testing.T) {
	tg := startTarget(t, append(recipesDDL, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")...)
	recipes, kv := table("recipes", "id"), table("kv", "id")
	r := &stuckResolver{fakeResolver: fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}, release: make(chan struct{})}
	s := tg.sink(t, Options{Workers: 2, Resolver: r, LookupSources: map[string][]string{"tgt.recipes": {"src"}}})
	ctx := context.Background()
	from := func(source string, seq uint64, ops ...change.TargetOp) *change.Txn {
		x := txn(seq, ops...)
		x.Source = source
		return x
	}
	rcols, kcols := []string{"id", "title", "author_id"}, []string{"id", "v"}
	for i := range int64(10) {
		require.NoError(t, s.Apply(ctx, from("a", uint64(i+1), withAuthor(upsert(recipes, rcols, i, "a", int64(5)), 5))))
		// c completes the same rows without lookups: it waits behind a.
		require.NoError(t, s.Apply(ctx, from("c", uint64(i+1), updateRow(recipes, i, []string{"title"}, "c"))))
		require.NoError(t, s.Apply(ctx, from("b", uint64(i+1), upsert(kv, kcols, i, "b"))))
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	require.NoError(t, s.FlushSource(short, "b"), "b writes no table that looks anything up")
	require.Len(t, tg.dump(t, "SELECT * FROM kv"), 10)
	truncate := change.TargetOp{Target: kv, Kind: change.TruncateTarget}
	require.NoError(t, s.Apply(short, from("b", 11, truncate, upsert(kv, kcols, int64(1), "after"))))
	require.NoError(t, s.FlushSource(short, "b"))
	require.Equal(t, []string{"1|after"}, tg.dump(t, "SELECT * FROM kv"))

	wait, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, s.FlushSource(wait, "a"), context.DeadlineExceeded)
	require.ErrorIs(t, s.FlushSource(wait, "c"), context.DeadlineExceeded, "c writes rows a's lookups hold")
	require.Empty(t, tg.dump(t, "SELECT * FROM recipes"))

	close(r.release)
	require.NoError(t, s.Flush(ctx))
	got := tg.dump(t, "SELECT id, title, author FROM recipes ORDER BY id")
	require.Len(t, got, 10)
	for _, row := range got {
		require.Regexp(t, `^\d\|c\|ann$`, row, "every row written by a, then c, in order")
	}
}
