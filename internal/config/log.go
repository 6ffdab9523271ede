package config

import (
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"
)

// LogFormat selects how log records are written.
type LogFormat string

// The log formats.
const (
	// LogAuto writes text to a terminal and JSON to anything else (a
	// file, a pipe, a container's log collector); the default.
	LogAuto LogFormat = "auto"
	// LogText writes logfmt-style key=value lines.
	LogText LogFormat = "text"
	// LogJSON writes one JSON object per line.
	LogJSON LogFormat = "json"
)

// Log configures the service's own log output.
type Log struct {
	// Level is the minimum level written: debug, info, warn or error
	// (zero value: info).
	Level slog.Level `yaml:"level"`
	// Format is auto (default), text or json.
	Format LogFormat `yaml:"format"`
}

// FormatFor returns the format records written to w take: Format, with
// auto resolved by whether w is a terminal.
func (l Log) FormatFor(w io.Writer) LogFormat {
	switch l.Format {
	case LogText, LogJSON:
		return l.Format
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return LogText
	}
	return LogJSON
}

// Handler returns a slog handler that writes records of at least Level to w
// in the format FormatFor gives. JSON writes durations as seconds, a
// number log collectors can compare, where slog's own would write
// nanoseconds; text writes them as Go does ("1.5s").
func (l Log) Handler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.FormatFor(w) == LogJSON {
		opts.ReplaceAttr = durationSeconds
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// durationSeconds writes a duration attribute as seconds.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
