package mysql

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// A failed operation is applied again once the target can take it, unless
// a later change of its row was applied meanwhile: that one must not be
// overwritten.
func TestRetryFailedOperations(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer store.Close()
	s := tg.sink(t, Options{Workers: 2, OnError: OnErrorRecord, Failed: store})
	cols := []string{"id", "name", "email"}
	applyAll(t, s,
		txn(1, upsert(users, cols, int64(1), "long-name-1", "a@x")),
		txn(2, upsert(users, cols, int64(2), "long-name-2", "b@x")),
		txn(3, del(users, int64(3))),
		txn(4, updateRow(users, int64(4), []string{"name"}, "long-name-4")),
		// Row 2 changes again, and this time the target takes it.
		txn(5, upsert(users, cols, int64(2), "short", "b@x")),
	)
	failed, err := store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 2, "the delete of a missing row and the update of one apply")
	require.Equal(t, "upsert", failed[0].Op)
	require.True(t, failed[0].Superseded.IsZero())
	require.False(t, failed[1].Superseded.IsZero(), "row 2 was written after its failure")

	tg.srv.Exec(t, "ALTER TABLE tgt.users MODIFY name VARCHAR(20) NOT NULL")
	byName := func(name string) *change.TargetTable {
		if name == "tgt.users" {
			return users
		}
		return nil
	}
	ctx := context.Background()
	extra := change.FailedChange{ID: 99, Target: "tgt.users", Op: "update", Key: []change.Value{int64(4)}}
	gone := change.FailedChange{ID: 98, Target: "tgt.gone", Op: "upsert", Key: []change.Value{int64(4)}}
	res, err := s.Retry(ctx, append(failed, extra, gone), byName)
	require.NoError(t, err)
	require.Len(t, res, 4)
	require.Equal(t, RetryResult{ID: 1, Applied: true}, res[0])
	require.Equal(t, RetryResult{ID: 2, Refused: RefusedSuperseded}, res[1])
	require.Equal(t, uint64(99), res[2].ID)
	require.Contains(t, res[2].Refused, "conditions")
	require.Equal(t, "no loaded mapping writes tgt.gone", res[3].Refused)
	require.Equal(t, []string{"1|long-name-1|a@x", "2|short|b@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))

	// One that fails again says why, whole and redacted; retried twice,
	// an applied one is superseded by its own retry.
	applyAll(t, s, txn(6, upsert(users, cols, int64(6), "a-name-far-too-long-for-twenty", "f@x")))
	failed, err = store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 3)
	res, err = s.Retry(ctx, failed[2:], byName)
	require.NoError(t, err)
	require.Contains(t, res[0].Error, "Data too long")
	require.Contains(t, res[0].Summary, "1406")
	require.NotContains(t, res[0].Summary, "far-too-long")
	res, err = s.Retry(ctx, failed[:1], byName)
	require.NoError(t, err)
	require.Equal(t, RefusedSuperseded, res[0].Refused, "an applied record is not watched any more")
}

// A live change of a row queued before the retry of its failure is
// applied first, and the retry is refused, however the two race; the
// rows of failures recorded before the sink started are watched too, and
// a table statement supersedes every failure of its table.
func TestRetryNeverOverwritesALaterChange(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	dir := t.TempDir()
	store, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	defer store.Close()
	cols := []string{"id", "name", "email"}
	first := tg.sink(t, Options{Workers: 3, OnError: OnErrorRecord, Failed: store})
	applyAll(t, first,
		txn(1, upsert(users, cols, int64(1), "long-name-1", "a@x")),
		txn(2, upsert(users, cols, int64(2), "long-name-2", "b@x")),
		txn(3, upsert(users, cols, int64(3), "long-name-3", "c@x")),
	)
	require.NoError(t, first.Close())
	tg.srv.Exec(t, "ALTER TABLE tgt.users MODIFY name VARCHAR(20) NOT NULL")

	s := tg.sink(t, Options{Workers: 3, OnError: OnErrorRecord, Failed: store})
	failed, err := store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 3)
	byName := func(string) *change.TargetTable { return users }
	ctx := context.Background()
	// Queued, not flushed: the retry goes behind it.
	require.NoError(t, s.Apply(ctx, txn(4, upsert(users, cols, int64(1), "newer", "a@x"))))
	res, err := s.Retry(ctx, failed[:1], byName)
	require.NoError(t, err)
	require.Equal(t, RefusedSuperseded, res[0].Refused)
	require.NoError(t, s.Flush(ctx))
	require.Equal(t, []string{"1|newer|a@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))

	applyAll(t, s, &change.Txn{Source: "src", Seq: 5, Last: true, Ops: []change.TargetOp{{Target: users, Kind: change.TruncateTarget}}})
	failed, err = store.FailedChanges()
	require.NoError(t, err)
	for _, fc := range failed {
		require.False(t, fc.Superseded.IsZero(), "record %d", fc.ID)
	}
	res, err = s.Retry(ctx, failed, byName)
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, RefusedSuperseded, r.Refused)
	}
	require.Empty(t, tg.dump(t, "SELECT * FROM users"))
}
