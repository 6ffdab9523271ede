package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// A source's operations are flushed while another source's are stuck
// behind a lock on the target; a flush of every source waits.
func TestFlushSourceDoesNotWaitForOtherSources(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")
	kv := table("kv", "id")
	cols := []string{"id", "v"}
	s := tg.sink(t, Options{Workers: 1})
	ctx := context.Background()
	from := func(source string, seq uint64, op change.TargetOp) *change.Txn {
		x := txn(seq, op)
		x.Source = source
		return x
	}
	require.NoError(t, s.Apply(ctx, from("a", 1, upsert(kv, cols, int64(2), "a"))))
	require.NoError(t, s.FlushSource(ctx, "a"))

	// Another connection holds row 1, so b's upsert of it waits.
	lock, err := tg.db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer lock.Rollback() //nolint:errcheck // released below
	_, err = lock.Exec("INSERT INTO tgt.kv VALUES (1, 'held')")
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, from("b", 1, upsert(kv, cols, int64(1), "b"))))

	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	require.NoError(t, s.FlushSource(short, "a"), "a's rows are durable whatever b waits for")
	require.ErrorIs(t, s.Flush(short), context.DeadlineExceeded, "a flush of every source waits for b")
	require.ErrorIs(t, s.FlushSource(short, "b"), context.DeadlineExceeded)

	require.NoError(t, lock.Rollback())
	require.NoError(t, s.FlushSource(ctx, "b"))
	require.NoError(t, s.FlushSource(ctx, "unknown"), "a source with nothing queued is flushed")
	require.Equal(t, []string{"1|b", "2|a"}, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
}
