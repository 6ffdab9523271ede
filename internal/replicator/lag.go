package replicator

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source"
)

// lagPoll is how often each source's current position is read for the
// lag.
const lagPoll = 5 * time.Second

// lagTracker tells how far the applied stream is behind each source. It
// polls the sources' current positions: a source whose current position
// the pipeline had applied at the last poll is 0 s behind. Otherwise the
// oldest change not applied committed after both the last applied
// transaction and the last poll that found the source caught up, so the
// lag is the time since the later of the two. It rises while the
// pipeline is stuck (a target that hangs, a lookup that waits) and while
// the stream is down, and stays 0 on an idle source.
type lagTracker struct {
	readers map[string]*source.Reader
	status  func() []Status
	log     *slog.Logger

	mu struct {
		sync.Mutex
		caught   map[string]bool
		caughtAt map[string]time.Time
	}
}

func newLagTracker(readers map[string]*source.Reader, status func() []Status, log *slog.Logger) *lagTracker {
	l := &lagTracker{readers: readers, status: status, log: log}
	l.mu.caught = map[string]bool{}
	now := time.Now()
	l.mu.caughtAt = map[string]time.Time{}
	for name := range readers {
		l.mu.caughtAt[name] = now // nothing older than the start is known
	}
	return l
}

// Run polls until ctx ends, each source over a connection it keeps.
func (l *lagTracker) Run(ctx context.Context) error {
	pollers := make(map[string]*source.PositionPoller, len(l.readers))
	for name, r := range l.readers {
		pollers[name] = r.NewPositionPoller()
	}
	defer func() {
		for _, p := range pollers {
			_ = p.Close()
		}
	}()
	t := time.NewTicker(lagPoll)
	defer t.Stop()
	for {
		l.poll(ctx, pollers)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// poll reads every source's current position and compares it with what
// the pipeline applied just before.
func (l *lagTracker) poll(ctx context.Context, pollers map[string]*source.PositionPoller) {
	applied := map[string]change.Position{}
	for _, s := range l.status() {
		applied[s.Source] = s.Applied
	}
	for name, p := range pollers {
		at := time.Now()
		pctx, cancel := context.WithTimeout(ctx, lagPoll)
		cur, err := p.Poll(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				l.log.Debug("reading the current position for the lag", "source", name, "error", err)
			}
			l.set(name, false, at)
			continue
		}
		ok, err := source.Reached(applied[name], cur)
		l.set(name, err == nil && ok, at)
	}
}

func (l *lagTracker) set(name string, caught bool, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mu.caught[name] = caught
	if caught {
		l.mu.caughtAt[name] = at
	}
}

// Lags returns each source's lag in seconds.
func (l *lagTracker) Lags() map[string]float64 {
	commits := map[string]time.Time{}
	for _, s := range l.status() {
		commits[s.Source] = s.CommitTime
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]float64, len(l.readers))
	for name := range l.readers {
		if l.mu.caught[name] {
			out[name] = 0
			continue
		}
		since := l.mu.caughtAt[name]
		if c := commits[name]; c.After(since) {
			since = c
		}
		out[name] = max(0, now.Sub(since).Seconds())
	}
	return out
}
