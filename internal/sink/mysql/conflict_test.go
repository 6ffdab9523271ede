package mysql

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// fakeWindow is a replay window holding the transactions of source "src"
// with sequence numbers from..to, recording what the sink tells it.
type fakeWindow struct {
	from, to uint64
	mu       sync.Mutex
	handed   map[string]uint64
	refused  []SourceTxn
}

func (f *fakeWindow) Replays(t SourceTxn) bool {
	return t.Source == "src" && t.Seq >= f.from && t.Seq <= f.to
}

func (f *fakeWindow) Handing(ts []SourceTxn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.handed == nil {
		f.handed = map[string]uint64{}
	}
	for _, t := range ts {
		f.handed[t.Source] = max(f.handed[t.Source], t.Seq)
	}
	return nil
}

func (f *fakeWindow) Refused(t SourceTxn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, t)
	return nil
}

// The target's unique key on email folds case; the sources' does not.
const membersDDL = "CREATE TABLE tgt.members (id BIGINT PRIMARY KEY, email VARCHAR(40) COLLATE utf8mb4_general_ci, UNIQUE KEY email (email))"

// shardCollision is user 1 with a@x from one shard, then user
// 1000000001 with A@X from the other, as the second transaction.
func shardCollision(members *change.TargetTable) []*change.Txn {
	cols := []string{"id", "email"}
	second := txn(2, upsert(members, cols, int64(1000000001), "A@X"))
	second.Source = "shard2"
	return []*change.Txn{txn(1, upsert(members, cols, int64(1), "a@x")), second}
}

func TestUniqueKeyCollisionPolicies(t *testing.T) {
	tests := []struct {
		name       string
		onConflict string
		onError    string
		// window holds the collision's transaction.
		window   bool
		resolved bool
	}{
		{"replay outside the window halts", OnConflictReplay, OnErrorHalt, false, false},
		{"replay outside the window is recorded", OnConflictReplay, OnErrorRecord, false, false},
		{"replay inside the window resolves", OnConflictReplay, OnErrorHalt, true, true},
		{"replace resolves anywhere", OnConflictReplace, OnErrorHalt, false, true},
		{"fail never resolves", OnConflictFail, OnErrorRecord, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := startTarget(t, membersDDL)
			members := table("members", "id")
			store, err := checkpoint.Open(t.TempDir(), nil)
			require.NoError(t, err)
			defer func() { require.NoError(t, store.Close()) }()
			win := &fakeWindow{from: 1, to: 0}
			x := shardCollision(members)
			if tt.window {
				x[1].Source, win.from, win.to = "src", 2, 2
			}
			var logs testenv.LogBuffer
			s := tg.sink(t, Options{Workers: 2, OnConflict: tt.onConflict, OnError: tt.onError, Failed: store, Replay: win,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			ctx := context.Background()
			require.NoError(t, s.Apply(ctx, x[0]))
			require.NoError(t, s.Apply(ctx, x[1]))
			err = s.Flush(ctx)
			// The key guard's NULL is logged as the collision it stands for.
			require.Contains(t, logs.String(), "after permanent error")
			require.NotContains(t, logs.String(), "code=1048")
			require.Contains(t, logs.String(), "code=1062")
			rows := tg.dump(t, "SELECT * FROM members ORDER BY id")
			failed, ferr := store.FailedChanges()
			require.NoError(t, ferr)

			if tt.resolved {
				require.NoError(t, err)
				require.Equal(t, []string{"1000000001|A@X"}, rows)
				require.Equal(t, uint64(1), s.Resolved())
				require.Zero(t, s.Conflicts())
				require.Empty(t, failed)
				require.Empty(t, win.refused)
				return
			}
			require.Equal(t, []string{"1|a@x"}, rows, "the other row is kept")
			require.Zero(t, s.Resolved())
			require.Equal(t, uint64(1), s.Conflicts())
			require.Len(t, win.refused, 1)
			require.Equal(t, uint64(2), win.refused[0].Seq)
			require.Equal(t, x[1].Begin, win.refused[0].Begin)
			if tt.onError == OnErrorHalt {
				require.ErrorIs(t, err, ErrPermanent)
				require.ErrorIs(t, err, ErrConflict)
				var ae *ApplyError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, uint64(2), ae.Seq)
				require.Contains(t, err.Error(), "unique key email")
				require.NotContains(t, strings.ToLower(err.Error()), "a@x", "no row values in errors")
				require.Empty(t, failed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint64(1), s.Failed())
			require.Len(t, failed, 1)
			fc := failed[0]
			require.Equal(t, "conflict", fc.Op)
			require.Equal(t, "tgt.members", fc.Target)
			require.Equal(t, []change.Value{int64(1000000001)}, fc.Key)
			require.Equal(t, []change.Value{int64(1)}, fc.ConflictKey)
			require.Equal(t, []change.Value{int64(1000000001), "A@X"}, fc.Values)
			require.Contains(t, fc.Error, "unique key conflict")
			require.Contains(t, fc.Error, "1062")

			reg := prometheus.NewRegistry()
			reg.MustRegister(s.Collectors("target")...)
			n, err := testutil.GatherAndCount(reg, "tributary_mysql_conflicts_total", "tributary_mysql_failed_total")
			require.NoError(t, err)
			require.Equal(t, 2, n)
		})
	}
}

// A unique value held by a row from later in the source's history (a
// replay after a crash) is taken over inside the replay window: the
// colliding row is deleted, and the rest of the replay re-creates it.
func TestReplayConflictReplacesCollidingRow(t *testing.T) {
	tg := startTarget(t, usersDDL)
	users := table("users", "id")
	win := &fakeWindow{from: 2, to: 3}
	s := tg.sink(t, Options{Workers: 2, Replay: win})
	cols := []string{"id", "name", "email"}
	// The target already holds the state after the source moved a@x from
	// user 1 to user 2 (the crash came after that was applied).
	applyAll(t, s, txn(1, upsert(users, cols, int64(1), "one", "z@x"), upsert(users, cols, int64(2), "two", "a@x")))
	// The replay starts before the move: user 1 still has a@x.
	applyAll(t, s, txn(2, upsert(users, cols, int64(1), "one", "a@x")))
	require.Equal(t, []string{"1|one|a@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
	// ... and reaches the move again: the target converges.
	applyAll(t, s, txn(3, upsert(users, cols, int64(1), "one", "z@x"), upsert(users, cols, int64(2), "two", "a@x")))
	require.Equal(t, []string{"1|one|z@x", "2|two|a@x"}, tg.dump(t, "SELECT * FROM users ORDER BY id"))
	require.Equal(t, uint64(0), s.Failed())
	require.Equal(t, uint64(1), s.Resolved())
	require.Equal(t, map[string]uint64{"src": 3}, win.handed, "the window learns what was written")
}
