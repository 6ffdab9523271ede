package mysql

import (
	"context"
	"sync"
)

// sourceAcks counts, per worker and source, the operations queued and
// those done (committed, or failed and recorded), so that one source's
// operations can be waited for without waiting for the others': a worker
// busy with another source's rows holds up a source only when that
// source's own rows are behind them.
type sourceAcks struct {
	mu struct {
		sync.Mutex
		queued, done []map[string]uint64 // by worker, then source
		// changed is closed and replaced whenever operations are done.
		changed chan struct{}
	}
}

func newSourceAcks(workers int) *sourceAcks {
	a := &sourceAcks{}
	a.mu.queued = make([]map[string]uint64, workers)
	a.mu.done = make([]map[string]uint64, workers)
	for i := range workers {
		a.mu.queued[i], a.mu.done[i] = map[string]uint64{}, map[string]uint64{}
	}
	a.mu.changed = make(chan struct{})
	return a
}

// queueN counts n operations of source about to be handed to worker w;
// -n (wrapping) takes them back when the hand-over failed.
func (a *sourceAcks) queueN(w int, source string, n uint64) { a.add(w, source, n) }

func (a *sourceAcks) add(w int, source string, n uint64) {
	a.mu.Lock()
	a.mu.queued[w][source] += n
	a.mu.Unlock()
}

// finish counts operations as done by worker w, by source.
func (a *sourceAcks) finish(w int, bySource map[string]uint64) {
	if len(bySource) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for source, n := range bySource {
		a.mu.done[w][source] += n
	}
	close(a.mu.changed)
	a.mu.changed = make(chan struct{})
}

// queuedOf returns, per worker, how many operations of source were queued
// so far.
func (a *sourceAcks) queuedOf(source string) []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]uint64, len(a.mu.queued))
	for w, q := range a.mu.queued {
		out[w] = q[source]
	}
	return out
}

// reached reports whether every worker has done the operations of source
// counted in target; if not, it returns a channel closed at the next
// progress.
func (a *sourceAcks) reached(source string, target []uint64) (bool, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for w, n := range target {
		if a.mu.done[w][source] < n {
			return false, a.mu.changed
		}
	}
	return true, nil
}

// FlushSource returns once every operation of source queued by an Apply
// call that returned before FlushSource was called is committed, or failed
// and recorded under OnErrorRecord, whatever the other sources' operations
// are waiting for. Under OnErrorHalt it returns the permanent error, if
// any.
func (s *Sink) FlushSource(ctx context.Context, source string) error {
	target := s.acks.queuedOf(source)
	for {
		if err := s.haltErr(); err != nil {
			return err
		}
		ok, changed := s.acks.reached(source, target)
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-s.halted: // haltErr says so at the top of the loop
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		case <-s.stopped:
			return ErrStopped
		}
	}
}
