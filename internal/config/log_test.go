package config

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// JSON log lines give durations in seconds, nested ones too; text ones as
// Go writes them.
func TestLogDurations(t *testing.T) {
	var js, text bytes.Buffer
	slog.New(Log{Format: LogJSON}.Handler(&js)).With(slog.Group("g", "wait", 250*time.Millisecond)).Info("m", "elapsed", 1500*time.Millisecond, "n", 3)
	require.Contains(t, js.String(), `"g":{"wait":0.25},"elapsed":1.5,"n":3`)
	slog.New(Log{Format: LogText}.Handler(&text)).Info("m", "elapsed", 1500*time.Millisecond)
	require.Contains(t, text.String(), "elapsed=1.5s")
}
