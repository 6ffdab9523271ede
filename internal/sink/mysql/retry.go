package mysql

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// Backoff between retries of a transient error: a random pause up to
// retryMin doubled per attempt, capped at retryMax, so workers that failed
// together do not retry together. Variables so tests can shorten them.
var (
	retryMin = 50 * time.Millisecond
	retryMax = 2 * time.Second
)

// retryTransient calls fn until it succeeds, fails with an error that is
// not transient, or ctx ends (then it returns ctx.Err()). Each transient
// failure is logged without values.
func retryTransient(ctx context.Context, log *slog.Logger, retries *atomic.Uint64, what string, fn func() error) error {
	b := retry.Backoff{Min: retryMin, Max: retryMax}
	return retry.Do(ctx, b, func(int) error { return fn() }, isTransient,
		func(attempt int, wait time.Duration, err error) {
			retries.Add(1)
			log.Warn("retrying after transient target error", "doing", what, "attempt", attempt,
				"code", errorCode(err), "error", mysqlerr.Redact(err), "backoff", wait)
		})
}
