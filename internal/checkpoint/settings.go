package checkpoint

import (
	"fmt"
	"time"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// Interval bounds: how often the pipeline flushes the sinks and saves the
// positions they made durable.
const (
	DefaultInterval = 500 * time.Millisecond
	MinInterval     = 10 * time.Millisecond
	MaxInterval     = time.Minute
)

// Stop grace bounds: how long a stop request waits for the source
// transactions in flight to end, so that a restart repeats nothing. The
// default stays below the 30 s that Kubernetes gives a pod to stop before
// it kills it, leaving time for the last flush and checkpoint.
const (
	DefaultStopGrace = 20 * time.Second
	MinStopGrace     = time.Millisecond
	MaxStopGrace     = time.Hour
)

// Settings are the checkpoint block of the service configuration: how
// often applied positions are made durable, and how long a stop waits to
// reach a position that can be.
type Settings struct {
	// Interval is how often applied positions are flushed and synced;
	// positions applied in between are coalesced into one synced write.
	// Zero means DefaultInterval; otherwise between MinInterval and
	// MaxInterval.
	Interval time.Duration `yaml:"interval"`
	// StopGrace is how long a stop (SIGINT, SIGTERM) waits for a source
	// in the middle of a large transaction, streamed in parts, to reach
	// its end: only there can its position be checkpointed. When it runs
	// out, the service stops inside the transaction, says so, and a
	// restart sends the transaction's first parts again. Zero means
	// DefaultStopGrace; otherwise between MinStopGrace and MaxStopGrace.
	StopGrace time.Duration `yaml:"stop_grace"`
}

// EnsureDefaults fills zero fields.
func (s *Settings) EnsureDefaults() {
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.StopGrace == 0 {
		s.StopGrace = DefaultStopGrace
	}
}

// Check reports every problem of the settings to r.
func (s *Settings) Check(r problem.Reporter) {
	if iv := s.Interval; iv != 0 && (iv < MinInterval || iv > MaxInterval) {
		r.At("interval", fmt.Sprintf("must be between %s and %s", MinInterval, MaxInterval))
	}
	if g := s.StopGrace; g != 0 && (g < MinStopGrace || g > MaxStopGrace) {
		r.At("stop_grace", fmt.Sprintf("must be between %s and %s", MinStopGrace, MaxStopGrace))
	}
}
