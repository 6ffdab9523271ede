package backfill

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when slept on.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

// The rate cap spaces chunks by the rows they read, over all workers, and
// counts the waits.
func TestThrottleRate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	waited := map[string]float64{}
	th := newThrottle(nil, 1000, 0, slog.Default(), func(r string, s float64) { waited[r] += s })
	th.now, th.sleep = clock.now, clock.sleep
	begin := clock.t
	for range 5 {
		require.NoError(t, th.before(t.Context()))
		th.after(clock.now(), 500)
		clock.t = clock.t.Add(100 * time.Millisecond) // the chunk's read
	}
	// 2,500 rows at 1,000 rows/s: the fifth chunk starts at 2 s.
	require.NoError(t, th.before(t.Context()))
	require.Equal(t, 2500*time.Millisecond, clock.t.Sub(begin))
	require.InDelta(t, 2.0, waited[reasonRate], 1e-9)
}

// Without limits the throttle never waits nor asks the server.
func TestThrottleOff(t *testing.T) {
	th := newThrottle(nil, 0, 0, slog.Default(), func(string, float64) { t.Fatal("waited") })
	th.sleep = func(context.Context, time.Duration) error { t.Fatal("slept"); return nil }
	for range 3 {
		require.NoError(t, th.before(t.Context()))
		th.after(time.Now(), 1000)
	}
}
