package mysql

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/testenv"
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

// TestPermanentErrorSplitsOnlyItsStatement applies a batch of three
// statements whose middle one holds a failing row: the statements around
// it are still applied as statements, and only the failing one operation
// by operation; whether that statement is interpolated or, a full one,
// prepared.
func TestPermanentErrorSplitsOnlyItsStatement(t *testing.T) {
	for _, tt := range []struct {
		name     string
		rows     int
		prepared int
	}{{"interpolated", 0, 0}, {"prepared", 3, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			tg := startTarget(t, usersDDL, "CREATE TABLE tgt.notes (id INT PRIMARY KEY, body VARCHAR(20))",
				"CREATE TABLE tgt.writes (n INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(10))",
				"CREATE TRIGGER tgt.notes_ins AFTER INSERT ON tgt.notes FOR EACH ROW INSERT INTO tgt.writes (what) VALUES ('note')",
				"CREATE TRIGGER tgt.users_ins AFTER INSERT ON tgt.users FOR EACH ROW INSERT INTO tgt.writes (what) VALUES ('user')")
			users, notes := table("users", "id"), table("notes", "id")
			store, err := checkpoint.Open(t.TempDir(), nil)
			require.NoError(t, err)
			defer func() { require.NoError(t, store.Close()) }()
			var logs testenv.LogBuffer
			s := tg.sink(t, Options{Workers: 1, OnError: OnErrorRecord, Failed: store, RowsPerStatement: tt.rows,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			ucols, ncols := []string{"id", "name", "email"}, []string{"id", "body"}
			require.NoError(t, applyBatch(context.Background(), s, txn(1,
				upsert(notes, ncols, int64(1), "a"), upsert(notes, ncols, int64(2), "b"),
				upsert(users, ucols, int64(1), "ok", "a@x"), upsert(users, ucols, int64(2), "much-too-long", "b@x"),
				upsert(users, ucols, int64(3), "ok", "c@x"),
				del(notes, int64(2)))))

			require.Equal(t, []string{"1|ok|a@x", "3|ok|c@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
			require.Equal(t, []string{"1|a"}, tg.dump(t, "SELECT * FROM notes ORDER BY id"))
			require.Equal(t, uint64(1), s.Failed())
			failed, err := store.FailedChanges()
			require.NoError(t, err)
			require.Len(t, failed, 1)
			require.Equal(t, []change.Value{int64(2)}, failed[0].Key)
			require.Contains(t, failed[0].Error, "1406")
			require.Contains(t, logs.String(), `msg="applying one statement operation by operation after permanent error" worker=1 ops=3 run_ops=6`)
			require.NotContains(t, logs.String(), "applying operation by operation")
			// The notes' statement was committed once before the users' was
			// retried, never again.
			require.Equal(t, []string{"note", "note", "user", "user"}, tg.dump(t, "SELECT what FROM writes ORDER BY n"))
			require.Equal(t, tt.prepared, preparedShapes(s))
		})
	}
}

// A FlushSource that began waiting before the sink halted returns the
// halt: the checkpoint loop, whose flushes wait so, must learn of it even
// when nothing else is applied afterwards.
func TestFlushSourceWaitingWhenTheSinkHalts(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	s := tg.sink(t, Options{Workers: 2})
	ctx := context.Background()

	lock, err := tg.db.Conn(ctx)
	require.NoError(t, err)
	defer lock.Close()
	_, err = lock.ExecContext(ctx, "LOCK TABLES users WRITE")
	require.NoError(t, err)
	cols := []string{"id", "name", "email"}
	require.NoError(t, s.Apply(ctx, txn(1, upsert(users, cols, int64(1), "much-too-long", "a@x"))))
	flushed := make(chan error, 1)
	go func() { flushed <- s.FlushSource(ctx, "src") }()
	time.Sleep(200 * time.Millisecond) // the flush waits for the locked write
	select {
	case err := <-flushed:
		t.Fatalf("the flush returned before the write: %v", err)
	default:
	}
	_, err = lock.ExecContext(ctx, "UNLOCK TABLES")
	require.NoError(t, err)
	select {
	case err := <-flushed:
		require.ErrorIs(t, err, ErrPermanent)
	case <-time.After(20 * time.Second):
		t.Fatal("the flush still waits after the sink halted")
	}
}
