package replicator

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/source"
)

// progress tracks, per source, the end of the last transaction that every
// sink has accepted, and the last position made durable.
type progress struct {
	mu struct {
		sync.Mutex
		applied map[string]sourceProgress
		durable map[string]change.Position
		// savedAt is when each source's position was last made durable
		// (the start, before the first save).
		savedAt map[string]time.Time
		// cursors are the backfill cursors of applied parts not saved
		// yet, the latest per table.
		cursors map[cursorKey]checkpoint.Cursor
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
	// Seq is the Seq of the last part applied.
	Seq uint64
}

func newProgress(start map[string]change.Position) *progress {
	p := &progress{}
	p.mu.applied = make(map[string]sourceProgress, len(start))
	p.mu.durable = maps.Clone(start)
	p.mu.savedAt = map[string]time.Time{}
	p.mu.cursors = map[cursorKey]checkpoint.Cursor{}
	now := time.Now()
	for name, pos := range start {
		p.mu.applied[name] = sourceProgress{Position: pos}
		p.mu.savedAt[name] = now
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
	}
	sp := p.mu.applied[txn.Source]
	sp.Changes += uint64(len(txn.Changes))
	sp.Seq = max(sp.Seq, txn.Seq)
	if txn.Last {
		sp.Position = txn.End
		sp.Transactions++
		if !txn.CommitTime.IsZero() {
			sp.CommitTime = txn.CommitTime
		}
	}
	p.mu.applied[txn.Source] = sp
}

// pending returns the applied positions that are not durable yet and the
// cursors their parts carried, of every source, or nothing.
func (p *progress) pending() (map[string]change.Position, []checkpoint.Cursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out map[string]change.Position
	for name := range p.mu.applied {
		if pos, ok := p.pendingLocked(name); ok {
			if out == nil {
				out = make(map[string]change.Position)
			}
			out[name] = pos
		}
	}
	var cursors []checkpoint.Cursor
	for k, c := range p.mu.cursors {
		cursors = append(cursors, c)
		delete(p.mu.cursors, k)
	}
	return out, cursors
}

// sources lists the sources with a position or a cursor to save.
func (p *progress) sources() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for name := range p.mu.applied {
		if _, ok := p.pendingLocked(name); ok {
			out = append(out, name)
		}
	}
	for k := range p.mu.cursors {
		if !slices.Contains(out, k.source) {
			out = append(out, k.source)
		}
	}
	return out
}

// take returns, at one instant, source's applied position when it is not
// durable yet (ok) and the cursors its parts carried, which it takes out:
// a flush that begins now covers exactly those.
func (p *progress) take(source string) (pos change.Position, ok bool, cursors []checkpoint.Cursor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pos, ok = p.pendingLocked(source)
	for k, c := range p.mu.cursors {
		if k.source == source {
			cursors = append(cursors, c)
			delete(p.mu.cursors, k)
		}
	}
	return pos, ok, cursors
}

// appliedSeq returns the Seq of the last part of source every sink
// accepted.
func (p *progress) appliedSeq(source string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.applied[source].Seq
}

func (p *progress) pendingLocked(source string) (change.Position, bool) {
	sp := p.mu.applied[source]
	return sp.Position, sp.Position != p.mu.durable[source] && !sp.Position.IsZero()
}

// saved records positions as durable. A failed save puts the cursors back
// (given in the order their parts were applied, so the last of a table is
// its newest), those no later part has replaced; the positions stay
// pending.
func (p *progress) saved(pos map[string]change.Position, cursors []checkpoint.Cursor, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		for i := len(cursors) - 1; i >= 0; i-- {
			c := cursors[i]
			if _, newer := p.mu.cursors[keyOf(&c)]; !newer {
				p.mu.cursors[keyOf(&c)] = c
			}
		}
		return
	}
	now := time.Now()
	for name, ps := range pos {
		p.mu.durable[name] = ps
		p.mu.savedAt[name] = now
	}
}

// checkpointAges returns, per source, the seconds since its checkpoint
// was last saved while it has applied changes not saved yet, else 0.
func (p *progress) checkpointAges() map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	out := make(map[string]float64, len(p.mu.applied))
	for name := range p.mu.applied {
		out[name] = 0
		if _, pending := p.pendingLocked(name); pending {
			at, ok := p.mu.savedAt[name]
			if !ok {
				at = now
			}
			out[name] = now.Sub(at).Seconds()
		}
	}
	return out
}

// Status is a snapshot of one source's progress.
type Status struct {
	Source       string          `json:"source"`
	Applied      change.Position `json:"applied"`
	Checkpoint   change.Position `json:"checkpoint"`
	CommitTime   time.Time       `json:"last_commit_time,omitzero"` // none before the first commit
	Transactions uint64          `json:"transactions"`
	Changes      uint64          `json:"changes"`
	// Streaming tells whether the source's binlog connection is open, and
	// LagSeconds how far the applied stream is behind it (see lagTracker);
	// the service fills both.
	Streaming  bool    `json:"streaming"`
	LagSeconds float64 `json:"lag_seconds"`
	// HeartbeatLagSeconds is the time since the newest heartbeat every
	// sink has made durable was written, for a source with a heartbeat.
	HeartbeatLagSeconds *float64 `json:"heartbeat_lag_seconds,omitempty"`
	// LastError is the last error that interrupted the source's stream.
	LastError *source.StreamError `json:"last_error,omitempty"`
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
