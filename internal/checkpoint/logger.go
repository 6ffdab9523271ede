package checkpoint

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleLogger sends Pebble's messages to slog. Pebble's routine messages
// (WAL replay, compactions) go to Debug, its errors to Error.
type pebbleLogger struct{ l *slog.Logger }

var _ pebble.Logger = pebbleLogger{}

// Infof logs at Debug level.
func (p pebbleLogger) Infof(format string, args ...any) {
	p.log(slog.LevelDebug, format, args)
}

// Errorf logs at Error level.
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log(slog.LevelError, format, args)
}

// Fatalf logs at Error level and panics: Pebble calls it on corruption and
// broken invariants and relies on it never returning.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.log(slog.LevelError, format, args)
	panic(fmt.Sprintf("checkpoint: pebble: "+format, args...))
}

func (p pebbleLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !p.l.Enabled(ctx, level) {
		return
	}
	p.l.Log(ctx, level, fmt.Sprintf(format, args...), "component", "pebble")
}
