// Package retry owns the pause between attempts of every retry loop: capped exponential backoff with full jitter.
//
// Full jitter draws each pause uniformly from zero up to the exponential
// ceiling, so that callers that failed together (the workers of a sink
// during a failover, the keys of a throttled stream) spread their next
// attempts over the whole interval instead of retrying in lockstep.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the delay rule of one retry loop: the ceiling of the pause
// after attempt n is Min doubled n-1 times, capped at Max. Max caps every
// pause, even below Min (tests use that to shorten a loop's pauses).
//
// Both must be positive for the loop to pause at all: the zero Backoff
// never waits.
type Backoff struct {
	Min, Max time.Duration
}

// Ceiling returns the longest pause after the given attempt (counted from
// 1; lower counts are taken as 1): min(Max, Min·2^(attempt-1)). It does
// not overflow, however large attempt is.
func (b Backoff) Ceiling(attempt int) time.Duration {
	if b.Min <= 0 || b.Max <= 0 {
		return 0
	}
	d := min(b.Min, b.Max)
	for i := 1; i < attempt && d < b.Max; i++ {
		if d > b.Max/2 {
			d = b.Max
		} else {
			d *= 2
		}
	}
	return d
}

// Delay returns the pause after the given attempt (from 1): a duration
// drawn uniformly from (0, Ceiling(attempt)]. It is never zero unless the
// ceiling is, but may be far shorter than Min; it is safe for concurrent
// use.
func (b Backoff) Delay(attempt int) time.Duration {
	c := b.Ceiling(attempt)
	if c <= 0 {
		return 0
	}
	return 1 + rand.N(c)
}

// Wait pauses for d or until ctx is done, whichever comes first. It
// returns ctx.Err() if ctx ended first (or had already ended), else nil.
func Wait(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Do calls op with the attempt number (from 1) until it succeeds, fails
// with an error that retryable rejects, or ctx ends, pausing b.Delay(n)
// after failed attempt n. A nil retryable retries every error.
//
// Before each pause Do calls onRetry, if not nil, with the failed attempt,
// the pause it is about to take and op's error, for the caller to log.
//
// Do returns nil on success, op's error unchanged when it is not
// retryable, and ctx.Err() when ctx ends after a retryable failure (op is
// always called at least once; it sees ctx itself if it needs it).
func Do(ctx context.Context, b Backoff, op func(attempt int) error, retryable func(error) bool,
	onRetry func(attempt int, wait time.Duration, err error)) error {
	for attempt := 1; ; attempt++ {
		err := op(attempt)
		if err == nil || (retryable != nil && !retryable(err)) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := b.Delay(attempt)
		if onRetry != nil {
			onRetry(attempt, wait, err)
		}
		if err := Wait(ctx, wait); err != nil {
			return err
		}
	}
}
