package config

import (
	"io"
	"log/slog"
)

// LogFormat selects how log records are written.
type LogFormat string

// The log formats.
const (
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
	// Format is text or json (default text).
	Format LogFormat `yaml:"format"`
}

// Handler returns a slog handler that writes records of at least Level to w
// in Format.
func (l Log) Handler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.Format == LogJSON {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
