// Package gcpace owns the pacing of the Go collector: it lets the heap
// grow to a floor before a collection while the live heap is small.
package gcpace

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Why. With the default GOGC of 100 the collector starts a cycle once
// the heap has grown by as much as survived the last one. Streaming keeps
// little alive (a few tens of MiB: queued changes, the sink's batches)
// and allocates fast (every event, row and statement), so the collector
// runs several times a second and takes a quarter of the process's CPU,
// while the memory it would take to run it less often is there: the
// soft memory limit (see cmd/tributary) is well above twice the live
// heap. A higher fixed GOGC would run it less often, but would also let a
// large live heap (big rows, a large memory of last writes) take several
// times its size. So the pacer raises GOGC only while the live heap is
// small: after each cycle it sets GOGC so that the next cycle starts when
// the heap reaches Floor, or at Base once the live heap is large enough
// for Base to reach Floor by itself. The heap then stays near Floor
// rather than near twice a small live heap, and a large live heap paces
// as it would without the pacer.
//
// A live heap past Floor itself means large rows are passing (LOBs): for
// Hold after one, GOGC stays at Base even when the live heap drops
// between rows. A raised GOGC there would do nothing for the CPU, but the
// runtime returns freed memory to the system according to its heap goal,
// and kept the buffers of the row before mapped: 50 to 70 MiB more RSS
// for three 64 MiB rows written to MySQL.

// Pacer sets GOGC after each collection (see above). The zero value of a
// field means its default.
type Pacer struct {
	// Floor is the heap size, in bytes, below which no cycle starts;
	// DefaultFloor by default.
	Floor int64
	// Base is the GOGC at and above the floor; 100 by default.
	Base int
	// Every is how often the pacer looks for a new cycle; 50 ms by
	// default.
	Every time.Duration
	// Hold is how long GOGC stays at Base after a live heap past Floor;
	// 5 s by default.
	Hold time.Duration
	// Log receives the pacer's debug lines; slog.Default() by default.
	Log *slog.Logger
}

// DefaultFloor is Pacer.Floor's default, 56 MiB: with the binary's own
// pages and the runtime's overhead, a service whose live heap is small
// peaks at about 100 to 105 MiB of RSS, under the 128 MiB it is meant to
// stay within.
const DefaultFloor = 56 << 20

// maxPercent bounds the GOGC the pacer sets: a live heap of a few MiB
// (right after the start) would otherwise ask for a GOGC in the
// thousands, which a sudden burst of allocation would then follow.
const maxPercent = 1000

func (p *Pacer) ensureDefaults() {
	if p.Floor <= 0 {
		p.Floor = DefaultFloor
	}
	if p.Base <= 0 {
		p.Base = 100
	}
	if p.Every <= 0 {
		p.Every = 50 * time.Millisecond
	}
	if p.Hold <= 0 {
		p.Hold = 5 * time.Second
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
}

// percent returns the GOGC that starts the next cycle when a heap whose
// live part is live bytes reaches floor, at least base and at most
// maxPercent.
func percent(live, floor int64, base int) int {
	if live <= 0 {
		return maxPercent
	}
	pct := (floor - live) * 100 / live
	switch {
	case pct < int64(base):
		return base
	case pct > maxPercent:
		return maxPercent
	}
	return int(pct)
}

// pacing is the pacer's state between cycles.
type pacing struct {
	p *Pacer
	// set is the GOGC last set; large the time of the last live heap past
	// Floor.
	set   int
	large time.Time
}

// next returns the GOGC to set after a cycle that left live bytes at now,
// and whether it differs enough from the one set to be worth setting:
// each change makes the runtime recompute its pacing under the heap's
// lock, so only a return to Base or a change of more than a tenth counts.
func (g *pacing) next(live int64, now time.Time) (int, bool) {
	pct := percent(live, g.p.Floor, g.p.Base)
	if live >= g.p.Floor {
		g.large = now
	}
	if !g.large.IsZero() && now.Sub(g.large) < g.p.Hold {
		pct = g.p.Base
	}
	if pct == g.set || pct != g.p.Base && pct*10 <= g.set*11 && pct*11 >= g.set*10 {
		return g.set, false
	}
	g.set = pct
	return pct, true
}

// Run paces the collector until ctx ends, then sets GOGC back to Base.
func (p *Pacer) Run(ctx context.Context) error {
	p.ensureDefaults()
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	g := pacing{p: p, set: p.Base}
	defer func() { debug.SetGCPercent(p.Base) }()
	var cycles uint64
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		metrics.Read(samples)
		if c := samples[1].Value.Uint64(); c != cycles {
			cycles = c
			live := int64(samples[0].Value.Uint64())
			if pct, ok := g.next(live, time.Now()); ok {
				debug.SetGCPercent(pct)
				p.Log.Debug("collector paced", "live_bytes", live, "gogc", pct)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
