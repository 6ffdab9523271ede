package backfill

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// lockedBuffer is a log sink safe for the throttle's workers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A chunk waits while the server runs more threads than the limit (a
// long query counts, as does the asking one), logs the pause and the
// resume once, and counts the time paused.
func TestThrottlePausesWhileThreadsRun(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{})
	db := srv.DB(t, "")
	// The limit is what an idle server runs: the asking query alone. A
	// single sample can catch a connection of the test's own at work.
	n := 0
	for i := range 5 {
		m, err := threadsRunning(t.Context(), db)
		require.NoError(t, err)
		require.GreaterOrEqual(t, m, 1)
		if i == 0 || m < n {
			n = m
		}
		time.Sleep(10 * time.Millisecond)
	}

	var logs lockedBuffer
	var mu sync.Mutex
	waited := 0.0
	th := newThrottle(db, 0, n, slog.New(slog.NewTextHandler(&logs, nil)), func(r string, s float64) {
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, reasonThreads, r)
		waited += s
	})
	asked := time.Now()
	require.NoError(t, th.before(t.Context()), "an idle server lets the chunk go")

	busy := srv.DB(t, "")
	done := make(chan error, 1)
	go func() {
		_, err := busy.ExecContext(t.Context(), "SELECT SLEEP(3)")
		done <- err
	}()
	// The sleep has begun (a loaded machine may take a while to connect),
	// and the throttle's last answer is older than its second.
	require.Eventually(t, func() bool {
		var sleeping int
		err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'").Scan(&sleeping)
		return err == nil && sleeping == 1
	}, 10*time.Second, 10*time.Millisecond)
	if d := threadsCheckEvery - time.Since(asked); d > 0 {
		time.Sleep(d + 50*time.Millisecond)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 { // two workers, one pause
		wg.Go(func() { require.NoError(t, th.before(t.Context())) })
	}
	wg.Wait()
	paused := time.Since(start)
	require.NoError(t, <-done)
	require.Greater(t, paused, 500*time.Millisecond, "the chunks went on while the server was busy")
	out := logs.String()
	require.Equal(t, 1, bytes.Count([]byte(out), []byte("pausing the backfill")), out)
	require.Equal(t, 1, bytes.Count([]byte(out), []byte("resuming the backfill")), out)
	mu.Lock()
	defer mu.Unlock()
	require.Greater(t, waited, 0.5)
}
