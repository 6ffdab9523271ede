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

// Settings are the checkpoint block of the service configuration: how
// often applied positions are made durable.
type Settings struct {
	// Interval is how often applied positions are flushed and synced;
	// positions applied in between are coalesced into one synced write.
	// Zero means DefaultInterval; otherwise between MinInterval and
	// MaxInterval.
	Interval time.Duration `yaml:"interval"`
}

// EnsureDefaults fills zero fields.
func (s *Settings) EnsureDefaults() {
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
}

// Check reports every problem of the settings to r.
func (s *Settings) Check(r problem.Reporter) {
	if iv := s.Interval; iv != 0 && (iv < MinInterval || iv > MaxInterval) {
		r.At("interval", fmt.Sprintf("must be between %s and %s", MinInterval, MaxInterval))
	}
}
