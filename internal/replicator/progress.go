package replicator

import (
	"maps"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// progress tracks, per source, the end of the last transaction that every
// sink has accepted, and the last position made durable.
type progress struct {
	mu struct {
		sync.Mutex
		applied map[string]sourceProgress
		durable map[string]change.Position
	}
}

// sourceProgress is what the status endpoint shows of one source.
type sourceProgress struct {
	Position     change.Position
	CommitTime   time.Time
	Transactions uint64
	Changes      uint64
}

func newProgress(start map[string]change.Position) *progress {
	p := &progress{}
	p.mu.applied = make(map[string]sourceProgress, len(start))
	p.mu.durable = maps.Clone(start)
	for name, pos := range start {
		p.mu.applied[name] = sourceProgress{Position: pos}
	}
	return p
}

// applied records that every sink accepted txn. Only the final part of a
// transaction moves the position: a checkpoint inside a transaction would
// resume mid-way through it.
func (p *progress) applied(txn *change.Txn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sp := p.mu.applied[txn.Source]
	sp.Changes += uint64(len(txn.Changes))
	if txn.Last {
		sp.Position = txn.End
		sp.Transactions++
		if !txn.CommitTime.IsZero() {
			sp.CommitTime = txn.CommitTime
		}
	}
	p.mu.applied[txn.Source] = sp
}

// pending returns the applied positions that are not durable yet, or nil.
func (p *progress) pending() map[string]change.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out map[string]change.Position
	for name, sp := range p.mu.applied {
		if sp.Position != p.mu.durable[name] && !sp.Position.IsZero() {
			if out == nil {
				out = make(map[string]change.Position)
			}
			out[name] = sp.Position
		}
	}
	return out
}

// saved records positions as durable; after a failed save they stay
// pending.
func (p *progress) saved(pos map[string]change.Position, err error) {
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, ps := range pos {
		p.mu.durable[name] = ps
	}
}

// Status is a snapshot of one source's progress.
type Status struct {
	Source       string          `json:"source"`
	Applied      change.Position `json:"applied"`
	Checkpoint   change.Position `json:"checkpoint"`
	CommitTime   time.Time       `json:"last_commit_time"`
	Transactions uint64          `json:"transactions"`
	Changes      uint64          `json:"changes"`
}

func (p *progress) status() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.mu.applied))
	for name, sp := range p.mu.applied {
		out = append(out, Status{
			Source: name, Applied: sp.Position, Checkpoint: p.mu.durable[name],
			CommitTime: sp.CommitTime, Transactions: sp.Transactions, Changes: sp.Changes,
		})
	}
	return out
}
