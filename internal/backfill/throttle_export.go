package backfill

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// Throttle paces another reader of a source (verify) as the backfill's
// chunks are paced: a cap on the rows read per second and a pause while
// the source's Threads_running is above a limit, checked between reads.
type Throttle struct{ t *throttle }

// NewThrottle returns the throttle of a source db: rate is in rows per
// second (0: no cap), maxThreads the Threads_running limit (0: off);
// what names the reader in the log lines of a pause ("verify"); waited,
// when set, adds the seconds waited.
func NewThrottle(db *sql.DB, rate, maxThreads int, what string, log *slog.Logger, waited func(seconds float64)) *Throttle {
	t := newThrottle(db, rate, maxThreads, log, func(_ string, seconds float64) {
		if waited != nil {
			waited(seconds)
		}
	})
	t.what = what
	return &Throttle{t: t}
}

// Before waits until the next read may start.
func (t *Throttle) Before(ctx context.Context) error { return t.t.before(ctx) }

// After records that a read begun at start read n rows.
func (t *Throttle) After(start time.Time, n int) { t.t.after(start, n) }
