package gcpace

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		name        string
		live, floor int64
		base, want  int
	}{
		{"small live heap: the floor", 8 * mib, 56 * mib, 100, 600},
		{"half the floor: base reaches it", 28 * mib, 56 * mib, 100, 100},
		{"above the floor: base", 80 * mib, 56 * mib, 100, 100},
		{"another base", 40 * mib, 56 * mib, 50, 50},
		{"tiny live heap: bounded", 1 * mib, 56 * mib, 100, maxPercent},
		{"nothing live yet: bounded", 0, 56 * mib, 100, maxPercent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, percent(tt.live, tt.floor, tt.base))
		})
	}
}

func TestNextHoldsBaseAfterALargeLiveHeap(t *testing.T) {
	const mib = 1 << 20
	p := &Pacer{Floor: 56 * mib, Base: 100, Hold: 5 * time.Second}
	p.ensureDefaults()
	g := pacing{p: p, set: 100}
	t0 := time.Now()
	type step struct {
		live  int64
		at    time.Duration
		want  int
		isSet bool
	}
	for i, s := range []step{
		{8 * mib, 0, 600, true},                      // small: the floor
		{8*mib + 300<<10, time.Second, 600, false},   // within a tenth: left as set
		{60 * mib, 2 * time.Second, 100, true},       // past the floor: base
		{4 * mib, 3 * time.Second, 100, false},       // small again, within Hold: base still
		{4 * mib, 8 * time.Second, maxPercent, true}, // Hold over: raised
		{30 * mib, 9 * time.Second, 100, true},       // base reaches the floor: back to base
		{10 * mib, 10 * time.Second, 460, true},      // raised again, no large heap since
	} {
		pct, ok := g.next(s.live, t0.Add(s.at))
		require.Equal(t, s.want, pct, "step %d", i)
		require.Equal(t, s.isSet, ok, "step %d", i)
	}
}

// gogc reads the collector's current GOGC.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// keep holds a live heap of its own across collections.
var keep [][]byte

func TestRunRaisesGOGCWhileTheLiveHeapIsSmallAndRestoresIt(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	p := &Pacer{Floor: 512 << 20, Base: 100, Every: time.Millisecond}
	go func() { done <- p.Run(ctx) }()

	// A live heap far below the floor: GOGC rises to its bound.
	require.Eventually(t, func() bool {
		runtime.GC()
		return gogc() == maxPercent
	}, 10*time.Second, 5*time.Millisecond)

	// A live heap past the floor's reach at base: GOGC returns to base.
	for range 320 {
		keep = append(keep, make([]byte, 1<<20))
	}
	require.Eventually(t, func() bool {
		runtime.GC()
		return gogc() == 100
	}, 10*time.Second, 5*time.Millisecond)
	keep = nil

	// Small again: raised; and set back to base when the pacer stops.
	require.Eventually(t, func() bool {
		runtime.GC()
		return gogc() > 100
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, 100, gogc())
}
