package replicator

import (
	"maps"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// progress tracks, per source, the end of the last transaction that every
// sink has accepted, and the last position made durable.
type progress struct {
	mu struct {
		sync.Mutex
		applied map[string]sourceProgress
		durable map[string]change.Position
		// cursors are the backfill cursors of applied parts not saved
		// yet, the latest per table.
		cursors map[cursorKey]checkpoint.Cursor
		dirty   bool
	}
}

// cursorKey names a backfilled table.
type cursorKey struct{ source, schema, table string }

func keyOf(c *checkpoint.Cursor) cursorKey { return cursorKey{c.Source, c.Schema, c.Table} }

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
	p.mu.cursors = map[cursorKey]checkpoint.Cursor{}
	for name, pos := range start {
		p.mu.applied[name] = sourceProgress{Position: pos}
	}
	return p
}

// applied records that every sink accepted txn, and the backfill cursors
// it carried. Only the final part of a transaction moves the position: a
// checkpoint inside a transaction would resume mid-way through it.
func (p *progress) applied(txn *change.Txn, cursors []checkpoint.Cursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cursors {
		p.mu.cursors[keyOf(&c)] = c
		p.mu.dirty = true
	}
	sp := p.mu.applied[txn.Source]
	sp.Changes += uint64(len(txn.Changes))
	if txn.Last {
		sp.Position = txn.End
		sp.Transactions++
		if !txn.CommitTime.IsZero() {
			sp.CommitTime = txn.CommitTime
		}
		p.mu.dirty = true
	}
	p.mu.applied[txn.Source] = sp
}

// pending returns the applied positions that are not durable yet and the
// cursors their parts carried, or nothing.
func (p *progress) pending() (map[string]change.Position, []checkpoint.Cursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.mu.dirty {
		return nil, nil
	}
	out := make(map[string]change.Position)
	for name, sp := range p.mu.applied {
		if sp.Position != p.mu.durable[name] && !sp.Position.IsZero() {
			out[name] = sp.Position
		}
	}
	var cursors []checkpoint.Cursor
	for _, c := range p.mu.cursors {
		cursors = append(cursors, c)
	}
	clear(p.mu.cursors)
	p.mu.dirty = false
	return out, cursors
}

// saved records positions as durable. A failed save re-marks them pending,
// with the cursors that no later part has replaced.
func (p *progress) saved(pos map[string]change.Position, cursors []checkpoint.Cursor, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		for _, c := range cursors {
			if _, newer := p.mu.cursors[keyOf(&c)]; !newer {
				p.mu.cursors[keyOf(&c)] = c
			}
		}
		p.mu.dirty = true
		return
	}
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
	// Backfill lists the source's backfilled tables and their progress.
	Backfill []backfill.TableStatus `json:"backfill,omitempty"`
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
