package checkpoint

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleLogger sends Pebble's messages to slog. Pebble's routine messages
// (WAL replay, compactions) go to Debug, its errors to Error.
type pebbleLogger struct {
	l *slog.Logger
	h *health
}

var _ pebble.Logger = pebbleLogger{}

// Infof logs at Debug level.
func (p pebbleLogger) Infof(format string, args ...any) {
	p.log(slog.LevelDebug, format, args)
}

// Errorf logs at Error level.
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log(slog.LevelError, format, args)
}

// Fatalf records the error as the store's, so that every later write
// fails with it, and panics with a fatalError: Pebble calls it on a failed
// write to its log, on corruption and on broken invariants, and relies on
// it never returning. The store recovers the panic where it called into
// Pebble (commitLocked); in Pebble's own goroutines it ends the process.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	panic(fatalError{p.h.fail(err)})
}

func (p pebbleLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !p.l.Enabled(ctx, level) {
		return
	}
	p.l.Log(ctx, level, fmt.Sprintf(format, args...), "component", "pebble")
}
