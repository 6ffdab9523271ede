package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/retry"
)

// threadsCheckEvery is how often, at most, the throttle asks the source
// for its Threads_running.
const threadsCheckEvery = time.Second

// Reasons a backfill waits, as the throttled-seconds metric labels them.
const (
	reasonRate    = "rate"
	reasonThreads = "threads_running"
)

// throttle paces the chunks of one source's workers: it caps the rows
// read per second over all of them and holds every chunk back while the
// source's Threads_running is above a limit. Both are checked between
// chunks, never inside one.
type throttle struct {
	rate       float64 // rows per second; 0 is no cap
	maxThreads int     // 0 is off
	db         *sql.DB
	log        *slog.Logger
	// what names the paced reader in the log ("the backfill").
	what string
	// waited adds seconds waited, by reason.
	waited func(reason string, seconds float64)
	// now and sleep are time.Now and retry.Wait, replaced in tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu struct {
		sync.Mutex
		// free is when the next chunk may start under the rate cap.
		free time.Time
		// checked is when Threads_running was last asked for, paused
		// whether it was above the limit then.
		checked time.Time
		paused  bool
	}
}

// newThrottle returns the throttle of a source; rate is in rows per
// second.
func newThrottle(db *sql.DB, rate, maxThreads int, log *slog.Logger, waited func(reason string, seconds float64)) *throttle {
	return &throttle{rate: float64(rate), maxThreads: maxThreads, db: db, log: log, waited: waited,
		what: "the backfill", now: time.Now, sleep: retry.Wait}
}

// before waits until a chunk may be read: while the source is too busy,
// then until the rate cap allows it.
func (t *throttle) before(ctx context.Context) error {
	if err := t.waitThreads(ctx); err != nil {
		return err
	}
	if t.rate <= 0 {
		return nil
	}
	t.mu.Lock()
	wait := t.mu.free.Sub(t.now())
	t.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t.waited(reasonRate, wait.Seconds())
	return t.sleep(ctx, wait)
}

// after records that a read begun at start returned n rows: the next
// chunk of any worker waits until those rows are paid for at the capped
// rate.
func (t *throttle) after(start time.Time, n int) {
	if t.rate <= 0 || n == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.free.Before(start) {
		t.mu.free = start
	}
	t.mu.free = t.mu.free.Add(time.Duration(float64(n) / t.rate * float64(time.Second)))
}

// waitThreads returns once the source's Threads_running is at most the
// limit, asking the server at most once per threadsCheckEvery whatever the
// number of workers. The first worker to see the source busy logs the
// pause, the first to see it calm again the resume.
func (t *throttle) waitThreads(ctx context.Context) error {
	if t.maxThreads <= 0 {
		return nil
	}
	for {
		busy, err := t.busy(ctx)
		if err != nil {
			return err
		}
		if !busy {
			return nil
		}
		start := t.now()
		if err := t.sleep(ctx, threadsCheckEvery); err != nil {
			return err
		}
		t.waited(reasonThreads, t.now().Sub(start).Seconds())
	}
}

// busy reports whether the source's Threads_running is above the limit,
// asking the server when the last answer is older than threadsCheckEvery.
// The lock is held while it asks, so the other workers wait for the
// answer rather than ask too.
func (t *throttle) busy(ctx context.Context) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.mu.checked.IsZero() && now.Sub(t.mu.checked) < threadsCheckEvery {
		return t.mu.paused, nil
	}
	n, err := threadsRunning(ctx, t.db)
	if err != nil {
		return false, err
	}
	t.mu.checked = now
	busy := n > t.maxThreads
	switch {
	case busy && !t.mu.paused:
		t.log.Info("pausing "+t.what+": the source is busy", "threads_running", n, "max", t.maxThreads)
	case !busy && t.mu.paused:
		t.log.Info("resuming "+t.what, "threads_running", n, "max", t.maxThreads)
	}
	t.mu.paused = busy
	return busy, nil
}

// threadsRunning asks the server for its Threads_running, which counts
// the asking connection too.
func threadsRunning(ctx context.Context, db *sql.DB) (int, error) {
	var name, value string
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Threads_running'").Scan(&name, &value); err != nil {
		return 0, fmt.Errorf("reading the source's Threads_running: %w", err)
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, fmt.Errorf("reading the source's Threads_running %q: %w", value, err)
	}
	return n, nil
}
