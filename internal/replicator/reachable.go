package replicator

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// untilReachable runs check until it returns nil or an error other than a
// server that cannot be reached (a refused, reset or timed-out connection,
// a name that does not resolve, too many connections, a shutdown), waiting
// between attempts from a second up to 30 s: a source or target that is
// restarting or failing over while the service starts delays it, as one
// lost while streaming does, instead of ending it. Other errors (a
// password refused, a setting to change) end it at once. It returns
// ctx.Err() if ctx ends first.
func untilReachable(ctx context.Context, logger *slog.Logger, what string, check func() error) error {
	wait := time.Second
	for {
		err := check()
		if err == nil || !mysqlerr.Unreachable(err) || ctx.Err() != nil {
			return err
		}
		logger.Warn("cannot reach "+what+" to start; trying again", "error", mysqlerr.Redact(err), "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// stoppedWaiting is err, or nil when ctx ended while the service waited
// for a server to start: a stop asked for, not a failure.
func stoppedWaiting(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}
