package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// failingOps returns good operations around two that the target refuses:
// a value too long for its column and a duplicate on a secondary key.
func failingOps(users *change.TargetTable) []*change.Txn {
	cols := []string{"id", "name", "email"}
	return []*change.Txn{
		txn(1, upsert(users, cols, int64(1), "ok", "a@x"), upsert(users, cols, int64(2), "ok", "b@x")),
		txn(2, upsert(users, cols, int64(3), "much-too-long-secret", "c@x")),
		txn(3, upsert(users, cols, int64(4), "ok", "a@x")),
		txn(4, upsert(users, cols, int64(5), "ok", "e@x"), del(users, int64(2))),
	}
}

const usersDDL = "CREATE TABLE tgt.users (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL, email VARCHAR(20), UNIQUE KEY (email))"

func TestHaltOnPermanentError(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	s := tg.sink(t, Options{Workers: 2})
	ctx := context.Background()
	var err error
	for _, x := range failingOps(users) {
		if err = s.Apply(ctx, x); err != nil {
			break
		}
	}
	if err == nil {
		err = s.Flush(ctx)
	}
	require.ErrorIs(t, err, ErrPermanent)
	var ae *ApplyError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "tgt.users", ae.Target)
	require.Equal(t, "src", ae.Source)
	require.Equal(t, uint64(2), ae.Seq)
	require.Equal(t, uint32(250), ae.Position.Pos)
	require.Contains(t, err.Error(), "1406")
	require.NotContains(t, err.Error(), "much-too-long")
	// The sink stays halted.
	require.ErrorIs(t, s.Flush(ctx), ErrPermanent)
	require.ErrorIs(t, s.Apply(ctx, txn(9)), ErrPermanent)
	require.Equal(t, []string{"1|ok|a@x", "2|ok|b@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
}

func TestRecordPermanentErrors(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	s := tg.sink(t, Options{Workers: 3, OnError: OnErrorRecord, OnConflict: OnConflictFail, Failed: store})
	applyAll(t, s, failingOps(users)...)

	require.Equal(t, []string{"1|ok|a@x", "5|ok|e@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
	require.Equal(t, uint64(2), s.Failed())
	failed, err := store.FailedChanges()
	require.NoError(t, err)
	require.Len(t, failed, 2)
	bySeq := map[string]change.FailedChange{}
	for _, fc := range failed {
		bySeq[fc.GTID] = fc
		require.Equal(t, "src", fc.Source)
		require.Equal(t, "tgt.users", fc.Target)
		require.False(t, fc.At.IsZero())
	}
	long := bySeq["0-1-2"]
	require.Equal(t, []change.Value{int64(3)}, long.Key)
	require.Equal(t, []string{"id", "name", "email"}, long.Columns)
	require.Equal(t, []change.Value{int64(3), "much-too-long-secret", "c@x"}, long.Values)
	require.Equal(t, uint32(250), long.Position.Pos)
	require.Contains(t, long.Error, "1406")
	require.Equal(t, "upsert", long.Op)
	dup := bySeq["0-1-3"]
	require.Equal(t, "conflict", dup.Op)
	require.Equal(t, []change.Value{int64(1)}, dup.ConflictKey)
	require.Contains(t, dup.Error, "1062")
	require.False(t, strings.Contains(dup.Error, "a@x"), dup.Error)
}
