package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// fakeResolver stands in for the lookup package, which is tested against
// real sources: it fills each pending lookup's one column from names by
// the lookup's first parameter (NULL when absent), keeping the Resolver
// contract (atomic, Pending order, Pending cleared).
type fakeResolver struct {
	mu    sync.Mutex
	names map[change.Value]change.Value
	// calls holds the number of operations of each call.
	calls []int
	// failNext is returned once, by the next call.
	failNext error
	// broken is a parameter whose lookup fails permanently.
	broken change.Value
}

func (r *fakeResolver) Resolve(_ context.Context, ops []*change.TargetOp) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, len(ops))
	if err := r.failNext; err != nil {
		r.failNext = nil
		return err
	}
	cols := make([][]string, len(ops))
	vals := make([][]change.Value, len(ops))
	for i, op := range ops {
		cols[i], vals[i] = slices.Clone(op.Columns), slices.Clone(op.Values)
		for _, p := range op.Pending {
			if r.broken != nil && p.Params[0] == r.broken {
				return fmt.Errorf("lookup %s: more than one row matches", p.Lookup.Name)
			}
			cols[i] = append(cols[i], p.Lookup.Columns...)
			vals[i] = append(vals[i], r.names[p.Params[0]])
		}
	}
	for i, op := range ops {
		op.Columns, op.Values, op.Pending = cols[i], vals[i], nil
	}
	return nil
}

// callsSoFar returns a copy of the calls' sizes.
func (r *fakeResolver) callsSoFar() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

var authorLookup = &change.Lookup{Name: "recipes.yaml:7", Schema: "accounts", Table: "users",
	Match: []string{"id"}, Select: []string{"name"}, Columns: []string{"author"}}

// withAuthor adds the author lookup by author id to op.
func withAuthor(op change.TargetOp, authorID int64) change.TargetOp {
	op.Pending = append(op.Pending, change.Pending{Lookup: authorLookup, Source: "src", Params: []change.Value{authorID}})
	return op
}

// recipesDDL creates recipes, whose author the lookup fills, and writes, a
// trigger-kept log of every row written.
var recipesDDL = []string{
	"CREATE TABLE tgt.recipes (id INT PRIMARY KEY, title VARCHAR(20), author_id INT, author VARCHAR(20))",
	"CREATE TABLE tgt.writes (n INT AUTO_INCREMENT PRIMARY KEY, id INT)",
	"CREATE TRIGGER tgt.recipes_ins AFTER INSERT ON tgt.recipes FOR EACH ROW INSERT INTO tgt.writes (id) VALUES (NEW.id)",
	"CREATE TRIGGER tgt.recipes_upd AFTER UPDATE ON tgt.recipes FOR EACH ROW INSERT INTO tgt.writes (id) VALUES (NEW.id)",
}

func TestResolverReadsOncePerBatch(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	var ops []change.TargetOp
	for i := range int64(20) {
		ops = append(ops, withAuthor(upsert(recipes, cols, i, fmt.Sprint("r", i), 5+i%2), 5+i%2))
	}
	// A re-derivation of recipe 3 and a contributor's update without lookups,
	// then an upsert that reads again: all in one batch.
	ops = append(ops, withAuthor(updateRow(recipes, int64(3), nil), 6),
		updateRow(recipes, int64(4), []string{"title"}, "t4"),
		withAuthor(upsert(recipes, cols, int64(4), "r4", int64(6)), 6))
	require.NoError(t, applyBatch(context.Background(), s, txn(1, ops...)))
	// Compaction folds the re-derivation of recipe 3 into its upsert and
	// the two upserts of recipe 4 into one: twenty rows, twenty reads.
	require.Equal(t, []int{20}, r.callsSoFar(), "one call for every pending lookup of the compacted batch")
	// A batch without lookups reads nothing: one read timed, in two runs.
	require.NoError(t, applyBatch(context.Background(), s, txn(2, upsert(recipes, cols, int64(30), "r30", nil))))
	require.Equal(t, uint64(1), histogramCount(t, s, "tributary_mysql_lookup_seconds"))
	require.Equal(t, uint64(2), histogramCount(t, s, "tributary_mysql_apply_seconds"))

	got := tg.dump(t, "SELECT id, title, author_id, author FROM recipes WHERE id < 6 ORDER BY id")
	require.Equal(t, []string{"0|r0|5|ann", "1|r1|6|bob", "2|r2|5|ann", "3|r3|6|bob", "4|r4|6|bob", "5|r5|6|bob"}, got)
	var n int
	require.NoError(t, tg.db.QueryRow("SELECT COUNT(*) FROM recipes").Scan(&n))
	require.Equal(t, 21, n)
}

// histogramCount returns the samples of the sink's histogram name.
func histogramCount(t *testing.T, s *Sink, name string) uint64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors("target")...)
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0
}

func TestResolverAfterCompaction(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}}
	s := tg.sink(t, Options{Workers: 1, Resolver: r})
	cols := []string{"id", "title", "author_id"}
	applyAll(t, s, txn(1, upsert(recipes, cols, int64(2), "r2", nil)))
	// Upserts of row 1 merge, keeping the first one's lookup; the
	// deletes go first; rows 1 and 3 then share one statement.
	require.NoError(t, applyBatch(context.Background(), s, txn(2,
		withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5),
		del(recipes, int64(2)),
		withAuthor(upsert(recipes, cols, int64(3), "r3", int64(6)), 6),
		upsert(recipes, []string{"id", "title"}, int64(1), "new"))))
	require.Equal(t, []int{2}, r.callsSoFar())
	require.Equal(t, []string{"1|new|5|ann", "3|r3|6|bob"}, tg.dump(t, "SELECT * FROM recipes ORDER BY id"))
}

func TestResolverRetriesTransientFailures(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	r := &fakeResolver{names: map[change.Value]change.Value{int64(6): "bob"}}
	var logs testenv.LogBuffer
	s := tg.sink(t, Options{Workers: 1, Resolver: r, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cols := []string{"id", "title", "author_id"}
	for i, fail := range []error{
		&mysqldriver.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"},
		fmt.Errorf("lookup %s: %w", authorLookup.Name, context.DeadlineExceeded),
	} {
		id := int64(100 + i)
		r.mu.Lock()
		r.failNext = fail
		r.mu.Unlock()
		before := len(r.callsSoFar())
		applyAll(t, s, txn(uint64(i+1), withAuthor(upsert(recipes, cols, id, "pie", int64(6)), 6)))
		require.Equal(t, []int{1, 1}, r.callsSoFar()[before:], "failed once, then read again")
		require.Equal(t, []string{fmt.Sprintf("%d|pie|6|bob", id)},
			tg.dump(t, fmt.Sprintf("SELECT * FROM recipes WHERE id = %d", id)))
		var writes int
		require.NoError(t, tg.db.QueryRow("SELECT COUNT(*) FROM writes WHERE id = ?", id).Scan(&writes))
		require.Equal(t, 1, writes, "applied once")
	}
	require.Contains(t, logs.String(), "retrying after transient target error")
	require.Equal(t, uint64(0), s.Failed())
}

func TestResolverPermanentFailureIsRecorded(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	r := &fakeResolver{names: map[change.Value]change.Value{int64(5): "ann", int64(6): "bob"}, broken: int64(13)}
	s := tg.sink(t, Options{Workers: 1, Resolver: r, OnError: OnErrorRecord, Failed: store})
	cols := []string{"id", "title", "author_id"}
	require.NoError(t, applyBatch(context.Background(), s, txn(1,
		withAuthor(upsert(recipes, cols, int64(1), "r1", int64(5)), 5),
		withAuthor(upsert(recipes, cols, int64(2), "r2", int64(13)), 13),
		withAuthor(upsert(recipes, cols, int64(3), "r3", int64(6)), 6))))
	require.Equal(t, []int{3, 1, 1, 1}, r.callsSoFar(), "the batch, then operation by operation")
	require.Equal(t, []string{"1|r1|5|ann", "3|r3|6|bob"}, tg.dump(t, "SELECT * FROM recipes ORDER BY id"))
	require.Equal(t, uint64(1), s.Failed())
	failed, err := store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 1)
	fc := failed[0]
	require.Equal(t, "tgt.recipes", fc.Target)
	require.Equal(t, "upsert", fc.Op)
	require.Equal(t, []change.Value{int64(2)}, fc.Key)
	require.Equal(t, cols, fc.Columns)
	require.Contains(t, fc.Error, "more than one row matches")
}

func TestPendingLookupsWithoutResolverHalt(t *testing.T) {
	tg := startTarget(t, recipesDDL...)
	recipes := table("recipes", "id")
	s := tg.sink(t, Options{Workers: 1})
	ctx := context.Background()
	require.NoError(t, s.Apply(ctx, txn(1, withAuthor(upsert(recipes, []string{"id", "title", "author_id"}, int64(1), "r1", int64(5)), 5))))
	err := s.Flush(ctx)
	require.ErrorIs(t, err, ErrPermanent)
	require.ErrorContains(t, err, "has 1 pending lookups but the sink has no Resolver")
	require.Empty(t, tg.dump(t, "SELECT * FROM recipes"))
}

func TestLookupErrorClassification(t *testing.T) {
	alive := context.Background()
	ended, cancel := context.WithCancel(alive)
	cancel()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{alive, mysqlError(1213), true},
		{alive, mysqlError(1146), false},
		{alive, fmt.Errorf("lookup: %w", context.DeadlineExceeded), true},
		{ended, fmt.Errorf("lookup: %w", context.DeadlineExceeded), false},
		{alive, fmt.Errorf("lookup: %w", context.Canceled), false},
		{alive, fmt.Errorf("lookup: %w", mysqldriver.ErrInvalidConn), true},
		{alive, fmt.Errorf("lookup x: more than one row matches"), false},
	} {
		require.Equal(t, c.want, lookupTransient(c.ctx, c.err), "%v", c.err)
		require.Equal(t, c.want, isTransient(&classified{err: c.err, transient: lookupTransient(c.ctx, c.err)}), "%v", c.err)
	}
	require.False(t, isTransient(fmt.Errorf("applying: %w", permanent(mysqlError(1213)))))
}
