package source

import (
	"context"
	"log/slog"
)

// goMySQLLogger returns the logger handed to go-mysql. Its routine
// messages (connect, rotate, close) drop to Debug and its errors to Warn:
// the reader reports what matters itself, with the position to resume at.
func goMySQLLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demoted{l.With("component", "go-mysql").Handler()})
}

// demoted lowers the level of every record by one step.
type demoted struct{ h slog.Handler }

func demote(l slog.Level) slog.Level {
	switch {
	case l >= slog.LevelError:
		return slog.LevelWarn
	case l >= slog.LevelInfo:
		return slog.LevelDebug
	}
	return l
}

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool { return d.h.Enabled(ctx, demote(l)) }

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demoted) WithAttrs(attrs []slog.Attr) slog.Handler { return demoted{d.h.WithAttrs(attrs)} }
func (d demoted) WithGroup(name string) slog.Handler       { return demoted{d.h.WithGroup(name)} }
