package source

import (
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Large events and read-ahead.
const (
	// largeEvent is the size from which an event spans several protocol
	// packets; go-mysql reads it into a buffer that grows by doubling, so
	// reading one takes about three times its size at the last doubling
	// (for a 64 MiB row, 64 MiB copied into a new 128 MiB buffer).
	largeEvent = 16 << 20
	// largeHoldNudge is how often a held read asks for a collection: the
	// buffer of a large event that is no longer used is only known free
	// after one.
	largeHoldNudge = 10 * time.Millisecond
	// largeHoldLimit bounds one hold: whatever still uses the buffer then
	// (a slow sink, or anything that keeps a value), reading goes on as it
	// would without the hold. It stays well below the server's
	// net_write_timeout (60 s by default), after which a dump thread whose
	// client does not read is cut off.
	largeHoldLimit = 5 * time.Second
	// largeValue is the size from which a value is held (readGate.hold).
	largeValue = 1 << 20
)

// readGate keeps go-mysql from reading the binlog ahead while a large
// event's buffer is still in use: the next large event's doubling buffers
// would otherwise come on top of it, which sets the memory a stream of
// large rows needs. The reader tracks each large event it receives; once
// it holds none of its rows itself (they went on downstream), the next
// read of the connection waits until the tracked buffers have been
// collected, that is, until the sinks are done with their rows. While the
// reader still holds rows it may need the following events to let them
// go (the commit), so reads then go on.
//
// A wait never counts as a read for the silence watchdog: the server is
// not what it waits for.
type readGate struct {
	log *slog.Logger
	// limit bounds one hold (largeHoldLimit).
	limit time.Duration
	// settledNow mirrors settled for the reader's check on every event.
	settledNow atomic.Bool

	mu sync.Mutex
	// live counts the tracked buffers of the current epoch not collected.
	live int
	// epoch is advanced when a hold gives up: buffers tracked before
	// then no longer hold reads back.
	epoch uint64
	// settled is set while the reader holds none of the rows it received.
	settled bool
	// abandoned is set once the connection is being closed; reads never
	// wait again.
	abandoned bool
	// changed is closed and replaced whenever the state changes while
	// the reader waits (waiting): the state flips at every transaction,
	// and a channel made for each flip would be garbage for nothing.
	changed chan struct{}
	waiting bool
}

func newReadGate(log *slog.Logger) *readGate {
	return &readGate{log: log, limit: largeHoldLimit, changed: make(chan struct{})}
}

// track holds reads back until buf, the data of an event just received
// or a value decoded from one, is collected, from the time the reader has
// let its rows go.
func (g *readGate) track(buf []byte) {
	if len(buf) == 0 {
		return
	}
	g.mu.Lock()
	g.live++
	epoch := g.epoch
	g.mu.Unlock()
	runtime.AddCleanup(&buf[0], g.collected, epoch)
}

// hold holds reads back until the large text and JSON values of c are
// collected too: unlike a BLOB, which decodes to a slice of its event's
// buffer (tracked already), they are copies, and the buffer goes once the
// event is decoded while the copies are still on their way to the sinks.
// (Copying a BLOB out the same way was measured: the freed buffer then
// served the MySQL sink's statement, which the allocator clears, and the
// peak rose.)
func (g *readGate) hold(c *change.RowChange) {
	for _, row := range [2]change.Row{c.Before, c.After} {
		for _, v := range row {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case change.JSON:
				s = string(x)
			}
			if len(s) >= largeValue {
				g.track(unsafe.Slice(unsafe.StringData(s), len(s)))
			}
		}
	}
}

// collected runs once a tracked buffer has been collected.
func (g *readGate) collected(epoch uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if epoch == g.epoch {
		g.live--
		g.signalLocked()
	}
}

// settle records whether the reader holds rows of its own (not yet sent
// on).
func (g *readGate) settle(holding bool) {
	if g.settledNow.Load() == !holding {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settled = !holding
	g.settledNow.Store(g.settled)
	g.signalLocked()
}

// abandon lets every read through from now on.
func (g *readGate) abandon() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.abandoned = true
	g.signalLocked()
}

func (g *readGate) signalLocked() {
	if !g.waiting {
		return // the reader checks the state before it waits
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *readGate) closedLocked() bool {
	return g.live > 0 && g.settled && !g.abandoned
}

// wait returns once a read may go on.
func (g *readGate) wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closedLocked() {
		return
	}
	start := time.Now()
	nudge := time.NewTimer(largeHoldNudge)
	defer nudge.Stop()
	for g.closedLocked() {
		if time.Since(start) >= g.limit {
			g.log.Info("reading on while a large event is still in use", "held", time.Since(start).Round(time.Millisecond))
			g.epoch++
			g.live = 0
			return
		}
		changed := g.changed
		g.waiting = true
		g.mu.Unlock()
		select {
		case <-changed:
		case <-nudge.C:
			runtime.GC()
			nudge.Reset(largeHoldNudge)
		}
		g.mu.Lock()
		g.waiting = false
	}
}
