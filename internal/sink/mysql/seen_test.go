package mysql

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// seenResolverFake is fakeResolver saying, as the lookup package does,
// which transactions of source src its reads saw: those of position.
type seenResolverFake struct {
	fakeResolver
	position string
}

func (r *seenResolverFake) ResolveSeen(ctx context.Context, ops []*change.TargetOp) (*gtid.Seen, error) {
	if err := r.Resolve(ctx, ops); err != nil {
		return nil, err
	}
	set, err := gtid.Parse(change.MariaDB, r.position)
	if err != nil {
		return nil, err
	}
	seen := &gtid.Seen{}
	seen.Put("src", set)
	return seen, nil
}

// reads returns the number of operations the resolver has read.
func (r *seenResolverFake) reads() int {
	n := 0
	for _, c := range r.callsSoFar() {
		n += c
	}
	return n
}

// everyCallSees makes every Resolver call ask what its reads saw, however
// few operations it reads, until the test ends.
func everyCallSees(t *testing.T) {
	old := seenMinOps
	seenMinOps = 1
	t.Cleanup(func() { seenMinOps = old })
}

// rederive is the author lookup's re-derivation of recipe id for author.
func rederive(recipes *change.TargetTable, id, author int64) change.TargetOp {
	return withCond(withAuthor(updateRow(recipes, id, nil), author), []string{"author_id"}, author)
}

// gtxn is a transaction of source with GTID 0-1-n.
func gtxn(source string, n uint64, ops ...change.TargetOp) *change.Txn {
	x := txn(n, ops...)
	x.Source = source
	return x
}

func TestRederivesSeenBeforeAreNotRead(t *testing.T) {
	everyCallSees(t)
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &seenResolverFake{fakeResolver: fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	type stepCase struct {
		what          string
		position      string // the source's, when read
		x             *change.Txn
		reads, writes int
		seen          uint64
	}
	steps := []stepCase{
		{"the upsert reads the author when the source is at 10", "0-1-10",
			gtxn("src", 1, withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5)), 1, 1, 0},
		{"a rename the read saw", "0-1-10", gtxn("src", 2, rederive(recipes, 1, 5)), 1, 1, 1},
		{"another, at the read's position", "0-1-10", gtxn("src", 10, rederive(recipes, 1, 5)), 1, 1, 2},
		{"one of another source is read, and finds the row unchanged", "0-1-10", gtxn("other", 3, rederive(recipes, 1, 5)), 2, 1, 2},
		{"one the read did not see too", "0-1-12", gtxn("src", 11, rederive(recipes, 1, 5)), 3, 1, 2},
		{"the author changes, read at 20", "0-1-20",
			gtxn("src", 13, withAuthor(upsert(recipes, cols, int64(1), "r1", int64(6)), 6)), 4, 2, 2},
		{"the new author's rename, seen", "0-1-20", gtxn("src", 14, rederive(recipes, 1, 6)), 4, 2, 3},
		// Another lookup's parameters: read, and sent under a condition
		// that no longer holds. As the row's last write, under another
		// condition, it leaves nothing known of the new author's read.
		{"the old author's rename", "0-1-20", gtxn("src", 12, rederive(recipes, 1, 5)), 5, 2, 3},
		{"so the new author's rename is read again", "0-1-20", gtxn("src", 14, rederive(recipes, 1, 6)), 6, 3, 3},
	}
	for _, st := range steps {
		r.position = st.position
		applyAll(t, s, st.x)
		require.Equal(t, st.reads, r.reads(), "operations read after: %s", st.what)
		require.Equal(t, st.writes, tg.writesOf(t, 1), "writes after: %s", st.what)
		require.Equal(t, st.seen, s.SeenBefore(), "re-derivations seen before after: %s", st.what)
	}
	require.Equal(t, []string{"1|r1|6|bob"}, tg.dump(t, "SELECT * FROM recipes"))
	require.Equal(t, map[string]uint64{"tgt.recipes": 3}, s.seenBefore.Snapshot())

	// A delete forgets the row: a re-derivation it saw is read, and
	// finds no row.
	applyAll(t, s, gtxn("src", 21, del(recipes, int64(1))))
	applyAll(t, s, gtxn("src", 15, rederive(recipes, 1, 6)))
	require.Equal(t, 7, r.reads())
	require.Empty(t, tg.dump(t, "SELECT * FROM recipes"))
}

// A run whose statement holds re-derivations seen before and others sends
// only the others; one whose lookups fail is retried.
func TestRederivesSeenBeforeInOneRun(t *testing.T) {
	everyCallSees(t)
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &seenResolverFake{fakeResolver: fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}},
		position: "0-1-10"}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	applyAll(t, s, gtxn("src", 1,
		withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5),
		withAuthor(upsert(recipes, cols, int64(2), "r2", int64(5)), 5),
		withAuthor(upsert(recipes, cols, int64(3), "r3", int64(6)), 6)))
	require.Equal(t, 3, r.reads())

	// The first author is renamed after the reads, and recipe 1 read again.
	r.names[int64(5)] = "ann2"
	r.position = "0-1-30"
	r.failNext = context.DeadlineExceeded // the first attempt fails
	applyAll(t, s, gtxn("src", 25, rederive(recipes, 1, 5)))
	require.Equal(t, 5, r.reads(), "one failed call and its retry")
	require.Equal(t, uint64(0), s.SeenBefore())

	// Recipe 1's read saw transaction 25, the others' did not.
	r.names[int64(5)] = "ann3"
	applyAll(t, s, gtxn("src", 25, rederive(recipes, 1, 5), rederive(recipes, 2, 5), rederive(recipes, 3, 6)))
	require.Equal(t, 7, r.reads(), "recipes 2 and 3 read")
	require.Equal(t, uint64(1), s.SeenBefore())
	require.Equal(t, []string{"1|r1|5|ann2", "2|r2|5|ann3", "3|r3|6|bob"}, tg.dump(t, "SELECT * FROM recipes ORDER BY id"))
	// What those reads saw: every one of them is seen now.
	applyAll(t, s, gtxn("src", 26, rederive(recipes, 1, 5), rederive(recipes, 2, 5), rederive(recipes, 3, 6)))
	require.Equal(t, 7, r.reads())
	require.Equal(t, uint64(4), s.SeenBefore())
}

// A call of fewer than seenMinOps operations does not ask what its reads
// saw: its rows' re-derivations are read.
func TestSmallCallsDoNotAskWhatTheySaw(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &seenResolverFake{fakeResolver: fakeResolver{names: map[change.Value]change.Value{int64(5): "ann"}}, position: "0-1-10"}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	applyAll(t, s, gtxn("src", 1, withAuthor(upsert(recipes, []string{"id", "title", "author_id"}, int64(1), "r1", int64(5)), 5)))
	applyAll(t, s, gtxn("src", 2, rederive(recipes, 1, 5)))
	require.Equal(t, 2, r.reads())
	require.Equal(t, uint64(0), s.SeenBefore())
}
