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
