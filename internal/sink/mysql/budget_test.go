package mysql

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestBudgetWaits(t *testing.T) {
	closed, stopped := make(chan struct{}), make(chan struct{})
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// end ends the wait of an acquire that does not fit.
		end  func(b *budget, cancel context.CancelFunc)
		want error
	}{
		{"released", func(b *budget, _ context.CancelFunc) { b.release(60) }, nil},
		{"context ends", func(_ *budget, cancel context.CancelFunc) { cancel() }, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBudget(100)
			require.NoError(t, b.acquire(ctx, 60, closed, stopped))
			require.NoError(t, b.acquire(ctx, 40, closed, stopped))
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			got := make(chan error, 1)
			go func() { got <- b.acquire(ctx, 50, closed, stopped) }()
			select {
			case err := <-got:
				t.Fatalf("acquire past the room returned %v without waiting", err)
			case <-time.After(50 * time.Millisecond):
			}
			tt.end(b, cancel)
			require.ErrorIs(t, <-got, tt.want)
		})
	}
	t.Run("larger than the room, alone", func(t *testing.T) {
		b := newBudget(100)
		require.NoError(t, b.acquire(ctx, 500, closed, stopped))
		require.Equal(t, int64(500), b.held())
		b.release(500)
		require.Equal(t, int64(0), b.held())
	})
	t.Run("sink closed", func(t *testing.T) {
		b := newBudget(100)
		require.NoError(t, b.acquire(ctx, 100, closed, stopped))
		closed := make(chan struct{})
		close(closed)
		require.ErrorIs(t, b.acquire(ctx, 1, closed, stopped), ErrClosed)
	})
}

// TestQueueBoundedInBytes blocks the target's table and applies large rows:
// Apply must wait once the queued rows fill the room, holding no more than
// it plus one row, and go on once the target takes them.
func TestQueueBoundedInBytes(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.big (id INT PRIMARY KEY, body MEDIUMTEXT)")
	big := table("big", "id")
	s := tg.sink(t, Options{Workers: 2, MaxQueuedBytes: MinMaxQueuedBytes})
	ctx := context.Background()

	lock, err := tg.db.Conn(ctx)
	require.NoError(t, err)
	defer lock.Close()
	_, err = lock.ExecContext(ctx, "LOCK TABLES big WRITE")
	require.NoError(t, err)

	const rows, size = 100, 64 << 10
	body := strings.Repeat("x", size)
	var applied atomic.Int64
	done := make(chan error, 1)
	go func() {
		for i := range rows {
			if err := s.Apply(ctx, txn(uint64(i+1), upsert(big, []string{"id", "body"}, int64(i), body))); err != nil {
				done <- err
				return
			}
			applied.Add(1)
		}
		done <- s.Flush(ctx)
	}()
	room := s.lanes[0].room
	one := opMemory(&change.TargetOp{Values: []change.Value{int64(0), body}, Key: []change.Value{int64(0)}})
	require.Eventually(t, func() bool { return room.held() > MinMaxQueuedBytes-one }, 10*time.Second, 10*time.Millisecond,
		"the queued rows fill the room")
	time.Sleep(200 * time.Millisecond)
	require.Less(t, applied.Load(), int64(rows), "Apply waits while the target does not take the rows")
	require.LessOrEqual(t, room.held(), MinMaxQueuedBytes+one)

	_, err = lock.ExecContext(ctx, "UNLOCK TABLES")
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, []string{"100|100"}, tg.dump(t, "SELECT COUNT(*), SUM(LENGTH(body) = 65536) FROM big"))
	require.Equal(t, int64(0), room.held(), "the room is given back")
}
