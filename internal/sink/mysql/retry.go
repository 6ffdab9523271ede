package mysql

import (
	"context"
	"log/slog"
	"time"
)

// Backoff between retries of a transient error: doubling from retryMin up
// to retryMax. Variables so tests can shorten them.
var (
	retryMin = 50 * time.Millisecond
	retryMax = 2 * time.Second
)

// retry calls fn until it succeeds, fails with an error that is not
// transient, or ctx ends. Each transient failure is logged without values.
func retry(ctx context.Context, log *slog.Logger, what string, fn func() error) error {
	wait := retryMin
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isTransient(err) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("retrying after transient target error", "doing", what, "attempt", attempt,
			"code", errorCode(err), "error", redact(err), "backoff", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, retryMax)
	}
}
