package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestTargetRestartLosesNothing(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v INT, secret VARCHAR(40))")
	kv := table("kv", "id")
	var logs testenv.LogBuffer
	s := tg.sink(t, Options{Workers: 4, RowsPerStatement: 20, StatementsPerTxn: 3,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const keys, rounds = 500, 40
	applied := make(chan error, 1)
	go func() {
		for r := range rounds {
			for k := range keys {
				op := upsert(kv, []string{"id", "v", "secret"}, int64(k), int64(r), fmt.Sprintf("value-%d-%d", r, k))
				if err := s.Apply(ctx, txn(uint64(r*keys+k+1), op)); err != nil {
					applied <- err
					return
				}
			}
			if err := s.Flush(ctx); err != nil {
				applied <- err
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		applied <- nil
	}()

	time.Sleep(150 * time.Millisecond)
	require.NoError(t, tg.srv.Kill())
	time.Sleep(3 * time.Second)
	require.NoError(t, tg.srv.Restart(ctx))
	require.NoError(t, <-applied)
	require.NoError(t, s.Flush(ctx))

	db := tg.srv.DB(t, "tgt")
	var n, minV int
	require.NoError(t, db.QueryRow("SELECT COUNT(*), MIN(v) FROM kv").Scan(&n, &minV))
	require.Equal(t, keys, n)
	require.Equal(t, rounds-1, minV)
	require.Contains(t, logs.String(), "retrying after transient target error")
	require.NotContains(t, logs.String(), "value-")
}

func TestTransientClassification(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{mysqlError(1213), true}, {mysqlError(1205), true}, {mysqlError(1290), true},
		{mysqlError(1836), true}, {mysqlError(1040), true}, {mysqlError(1062), false},
		{mysqlError(1406), false}, {mysqlError(1366), false}, {mysqlError(1452), false},
		{mysqlError(1048), false}, {fmt.Errorf("x: %w", context.Canceled), false},
	} {
		require.Equal(t, c.want, isTransient(c.err), "%v", c.err)
	}
}

// A target that hangs (SIGSTOP: connections open, nothing answers) fails
// the statement after Timeout; the retry is logged and counted, and the
// row lands once the target answers again.
func TestHungTargetTimesOutAndRetries(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	var logs testenv.LogBuffer
	s := tg.sink(t, Options{Workers: 1, Timeout: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cols := []string{"id", "name", "email"}
	applyAll(t, s, txn(1, upsert(users, cols, int64(1), "ok", "a@x")))

	require.NoError(t, tg.srv.Pause())
	resumed := false
	defer func() {
		if !resumed {
			_ = tg.srv.Resume()
		}
	}()
	require.NoError(t, s.Apply(context.Background(), txn(2, upsert(users, cols, int64(2), "ok", "b@x"))))
	flushed := make(chan error, 1)
	go func() { flushed <- s.Flush(context.Background()) }()
	require.Eventually(t, func() bool { return s.retries.Load() > 0 }, 30*time.Second, 50*time.Millisecond,
		"no retry while the target hangs")
	require.Contains(t, logs.String(), "retrying after transient target error")
	require.NoError(t, tg.srv.Resume())
	resumed = true
	require.NoError(t, <-flushed)
	require.Equal(t, []string{"1|ok|a@x", "2|ok|b@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
}
