package loadgen

import (
	"context"
	"sync"
	"time"
)

// pacer spaces transactions evenly to a rate shared by all workers. After a
// stall it does not burst to catch up.
type pacer struct {
	interval time.Duration
	mu       struct {
		sync.Mutex
		next time.Time
	}
}

// newPacer returns a pacer for perSecond transactions a second, or nil for
// no limit.
func newPacer(perSecond float64) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the caller's turn or until ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	if p.mu.next.Before(now) {
		p.mu.next = now
	}
	at := p.mu.next
	p.mu.next = at.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
