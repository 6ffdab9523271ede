package replicator

import (
	"fmt"
	"log/slog"
	"sync"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
	"github.com/tributary-cdc/tributary/internal/source"
)

// replayWindows holds every source's replay window after a restart, from
// its checkpoint through its handed mark, and keeps the marks that bound
// the window of the next restart. The MySQL sink may delete a row an
// upsert collides with on a unique key only inside the window.
//
// Which side a mark may err on. A collision inside the window deletes the
// other row, one outside is a conflict for on_error. A mark ahead of the
// truth would put transactions that were never handed in the window: their
// replay meets no state from later in the source's history, so a collision
// there is a real conflict, and deleting the other row loses it silently.
// A mark behind the truth leaves a replayed collision outside the window:
// it halts or is recorded, and an operator looks at it; no row is lost.
// So the mark may lag, never lead.
//
// How it is kept. The sink calls Handing before it writes anything of a
// transaction, and the mark it makes durable names only transactions the
// sink holds: never ahead of what was handed. And nothing reaches the
// target before its mark is synced, so after a kill -9 every row state
// the target holds comes from a transaction the window covers; a replay
// that meets such a state is inside it, and only real conflicts are
// refused. Marks are coalesced like the checkpoint: concurrent calls share
// one synced write, and transactions the window or an earlier mark
// already covers write nothing. A refused collision caps its source's
// mark before its transaction for the rest of the run (Refused), so a
// restart meets the same conflict again rather than take it for a replay.
type replayWindows struct {
	store handedStore
	log   *slog.Logger
	// win is each source's window of this run; read-only.
	win map[string]*window
	// writeMu serialises the synced writes, so that callers waiting for
	// one find their marks written by it.
	writeMu sync.Mutex
	mu      struct {
		sync.Mutex
		src map[string]*marking
	}
}

// handedStore keeps the handed marks durably.
type handedStore interface {
	SaveHandedMarks(map[string]checkpoint.Handed) error
}

// marking is what this run has handed of one source.
type marking struct {
	// past is set once a transaction beyond the window was handed; the
	// stream is in order, so every later one is beyond it too.
	past bool
	// want is the mark of transaction wantSeq, set when marked; dirty,
	// that it is not written yet. syncedSeq is the transaction of the
	// last mark written, set when synced.
	want      checkpoint.Handed
	wantSeq   uint64
	marked    bool
	dirty     bool
	syncedSeq uint64
	synced    bool
	// capped is set when a collision of transaction capSeq was refused:
	// want stays before it.
	capped bool
	capSeq uint64
}

// window is one source's replay window: the transactions from the
// checkpoint through the handed mark.
type window struct {
	from change.Position
	mark checkpoint.Handed
	// fromSet and markSet are the GTID sets of from and of mark.Begin,
	// nil when the window is compared by binlog file and offset.
	fromSet, markSet gomysql.GTIDSet
}

// newReplayWindows builds the windows of the sources starting at start
// from the marks in store.
func newReplayWindows(store *checkpoint.Store, start map[string]change.Position, logger *slog.Logger) (*replayWindows, error) {
	marks, err := store.HandedMarks()
	if err != nil {
		return nil, fmt.Errorf("reading handed marks: %w", err)
	}
	r := &replayWindows{store: store, log: logger, win: map[string]*window{}}
	r.mu.src = map[string]*marking{}
	for name, from := range start {
		mark, ok := marks[name]
		if !ok {
			continue
		}
		w, err := newWindow(from, mark)
		if err != nil {
			return nil, fmt.Errorf("reading the replay window of source %s: %w", name, err)
		}
		r.win[name] = w
		logger.Info("replay window", "source", name, "from", from.String(), "through", mark.Begin.String(),
			"gtid", mark.GTID, "excluded", mark.Before)
	}
	return r, nil
}

func newWindow(from change.Position, mark checkpoint.Handed) (*window, error) {
	w := &window{from: from, mark: mark}
	if from.GTIDSet == "" || mark.GTID == "" {
		return w, nil
	}
	var err error
	if w.fromSet, err = source.ParseGTIDSet(from.Flavor, from.GTIDSet); err != nil {
		return nil, fmt.Errorf("parsing the checkpoint: %w", err)
	}
	if w.markSet, err = source.ParseGTIDSet(from.Flavor, mark.Begin.GTIDSet); err != nil {
		return nil, fmt.Errorf("parsing the handed mark: %w", err)
	}
	return w, nil
}

// contains reports whether t lies in the window: after the checkpoint and
// at or before the mark (before it, when the mark excludes its own
// transaction). By GTID when both ends have GTID sets, else by binlog
// file and offset, which compare only on one server.
func (w *window) contains(t mysqlsink.SourceTxn) (bool, error) {
	if w.fromSet != nil && t.GTID != "" {
		g, err := source.ParseGTIDSet(w.from.Flavor, t.GTID)
		if err != nil {
			return false, err
		}
		switch {
		case w.fromSet.Contain(g):
			return false, nil
		case t.GTID == w.mark.GTID:
			return !w.mark.Before, nil
		}
		return w.markSet.Contain(g), nil
	}
	if t.Begin.ServerID != w.from.ServerID || t.Begin.ServerID != w.mark.Begin.ServerID {
		return false, nil
	}
	b, err := t.Begin.Ordinal()
	if err != nil {
		return false, err
	}
	from, err := w.from.Ordinal()
	if err != nil {
		return false, err
	}
	mark, err := w.mark.Begin.Ordinal()
	if err != nil {
		return false, err
	}
	switch {
	case b < from:
		return false, nil
	case b == mark:
		return !w.mark.Before, nil
	}
	return b < mark, nil
}

// Replays reports whether t lies in its source's window. A transaction
// the window cannot place is outside it: a conflict, never a delete.
func (r *replayWindows) Replays(t mysqlsink.SourceTxn) bool {
	w := r.win[t.Source]
	if w == nil {
		return false
	}
	in, err := w.contains(t)
	if err != nil {
		r.log.Warn("placing a transaction in the replay window; taking it for outside", "source", t.Source,
			"seq", t.Seq, "error", err)
	}
	return in
}

// Handing makes the marks of ts durable unless the window or an earlier
// mark covers them. A mark another call is writing is waited for.
func (r *replayWindows) Handing(ts []mysqlsink.SourceTxn) error {
	r.mu.Lock()
	need := false
	for _, t := range ts {
		m := r.markingLocked(t.Source)
		if m.capped || m.synced && m.syncedSeq >= t.Seq {
			continue
		}
		if m.marked && m.wantSeq >= t.Seq {
			need = true // marked, not known durable yet
			continue
		}
		if !m.past {
			if r.Replays(t) {
				continue
			}
			m.past = true
		}
		m.want = checkpoint.Handed{Begin: t.Begin, GTID: t.GTID}
		m.wantSeq, m.marked, m.dirty, need = t.Seq, true, true, true
	}
	r.mu.Unlock()
	if !need {
		return nil
	}
	return r.sync()
}

// Refused caps t's source's mark before t and makes it durable.
func (r *replayWindows) Refused(t mysqlsink.SourceTxn) error {
	r.mu.Lock()
	m := r.markingLocked(t.Source)
	if m.capped && m.capSeq <= t.Seq {
		r.mu.Unlock()
		return nil
	}
	m.capped, m.capSeq = true, t.Seq
	m.want = checkpoint.Handed{Begin: t.Begin, GTID: t.GTID, Before: true}
	m.wantSeq, m.marked, m.dirty = t.Seq, true, true
	r.mu.Unlock()
	r.log.Warn("a restart's replay window will end before a refused unique key conflict", "source", t.Source,
		"seq", t.Seq, "gtid", t.GTID)
	return r.sync()
}

func (r *replayWindows) markingLocked(source string) *marking {
	m := r.mu.src[source]
	if m == nil {
		m = &marking{}
		r.mu.src[source] = m
	}
	return m
}

// sync writes every mark not written yet in one synced commit. A caller
// that waited for another's write finds its mark written and returns.
func (r *replayWindows) sync() error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	marks := map[string]checkpoint.Handed{}
	seqs := map[string]uint64{}
	for name, m := range r.mu.src {
		if m.dirty {
			marks[name], seqs[name], m.dirty = m.want, m.wantSeq, false
		}
	}
	r.mu.Unlock()
	if len(marks) == 0 {
		return nil
	}
	if err := r.store.SaveHandedMarks(marks); err != nil {
		r.mu.Lock()
		for name := range marks {
			r.mu.src[name].dirty = true
		}
		r.mu.Unlock()
		return fmt.Errorf("saving handed marks: %w", err)
	}
	r.mu.Lock()
	for name, seq := range seqs {
		if m := r.mu.src[name]; !m.synced || seq > m.syncedSeq {
			m.synced, m.syncedSeq = true, seq
		}
	}
	r.mu.Unlock()
	return nil
}

var _ mysqlsink.ReplayWindow = (*replayWindows)(nil)
