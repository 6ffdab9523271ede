package backfill

import (
	"fmt"
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// streamPoint is how far a source's stream has come through the Merger:
// the executed GTID set after its last complete transaction, and the GTID
// of a transaction whose first parts went by without its last.
type streamPoint struct {
	set  string
	open string
}

// advance moves the point past txn.
func (p *streamPoint) advance(txn *change.Txn) {
	if txn.Last {
		p.set, p.open = txn.End.GTIDSet, ""
		return
	}
	p.open = txn.GTID
}

// gtidSet returns every transaction the stream has (wholly or partly)
// passed.
func (p streamPoint) gtidSet(flavor string) (gtid.Set, error) {
	set, err := gtid.Parse(flavor, p.set)
	if err != nil {
		return set, fmt.Errorf("reading the stream's position: %w", err)
	}
	if err := set.Add(p.open); err != nil {
		return set, fmt.Errorf("reading the stream's position: %w", err)
	}
	return set, nil
}

// gtidWindow is what a window bounded by GTID sets knows of its marks.
//
// A chunk read R, bounded so, is merged correctly when the window (a) puts
// the chunk's rows at a point P of the stream that follows every
// transaction R saw, and (b) drops every row whose key a transaction that
// R did not see changed before P: the stream carries that change itself,
// and the row read is older. Dropping a row more than needed is harmless
// (the stream's own last change of the key before P is the row's state at
// P), dropping one less is not. So:
//
//   - low is a set of transactions that R saw, all of them: a transaction
//     whose GTID is in low is before the window and not recorded; every
//     other one that comes by while the window is open is recorded, those
//     R saw too (harmless). Until low is known, every transaction is
//     recorded.
//   - low must also hold every transaction that went by before the window
//     was expected (passed), for those were never recorded: the read waits
//     until it does.
//   - high holds every transaction R saw: the window closes, and the rows
//     enter the stream at the end of the transaction, at the first
//     complete transaction after which the stream has passed all of high
//     (on MariaDB: every domain of high has reached its sequence number).
//
// How low and high are taken so on each flavor and read host is
// gtidMarks's part (gtidmarks.go).
type gtidWindow struct {
	flavor string
	// passed is what the stream had passed when the window was
	// expected; passedErr why it could not be read.
	passed    gtid.Set
	passedErr error
	low, high *gtid.Set
}

// expectGTID makes a chunk bounded by GTID sets the one in flight, alone:
// a source with GTID watermarks copies one chunk at a time (the
// Backfiller runs one worker without read-ahead), so any other window is
// dropped. It records every transaction from now until its low set is
// known.
func (m *Merger) expectGTID(id string, chunk uint64, plan *Plan, flavor string) *window {
	w := newWindow(id, chunk, plan)
	w.open = true
	w.gtid = &gtidWindow{flavor: flavor}
	// It records from now on, before a resync could mark it: folded
	// keys are kept from the start (Merger.markResync).
	w.folded = map[string]struct{}{}
	m.mu.Lock()
	defer m.mu.Unlock()
	w.gtid.passed, w.gtid.passedErr = m.mu.passed.gtidSet(flavor)
	m.mu.windows = []*window{w}
	return w
}

// setLow gives w its low set.
func (m *Merger) setLow(w *window, low gtid.Set) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.gtid.low = &low
}

// setHigh gives w its high set: it closes at the first complete
// transaction after which the stream has passed it.
func (m *Merger) setHigh(w *window, high gtid.Set) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.gtid.high = &high
}

// behind returns, while w waits for the stream to pass its high set,
// the high set and the stream's position, for the log.
func (m *Merger) behind(w *window) (high, stream string, waiting bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.mu.windows, w) || w.gtid.high == nil {
		return "", "", false
	}
	return w.gtid.high.String(), m.mu.passed.set, true
}

// inFlight reports whether w is still the window in flight.
func (m *Merger) inFlight(w *window) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.mu.windows, w)
}

// interceptGTID is Intercept for a window bounded by GTID sets, with
// m.mu held: it records the keys txn touches unless txn is before the
// low set, and closes the window at the end of txn once the stream has
// passed the high set, appending the chunk's remaining rows to txn.
// Watermark rows are stripped as ever.
func (m *Merger) interceptGTID(w *window, txn *change.Txn) []checkpoint.Cursor {
	g := w.gtid
	inWindow := g.low == nil || !g.low.Has(txn.GTID)
	if inWindow {
		w.ddl(txn)
	}
	hasWork := len(txn.Changes) > 0 || len(txn.DDL) > 0
	kept := txn.Changes[:0]
	for i := range txn.Changes {
		c := &txn.Changes[i]
		if c.Table != nil && IsWatermark(c.Table.Schema, c.Table.Name) {
			continue
		}
		if inWindow {
			w.record(c)
		}
		kept = append(kept, *c)
	}
	clear(txn.Changes[len(kept):])
	txn.Changes = kept
	if !txn.Last || g.high == nil {
		return nil
	}
	if (len(txn.DDL) > 0 || len(txn.Altered) > 0) && w.redo == "" {
		// Never with a table statement: sinks put its control record
		// after the transaction's rows, and a truncate would clear them.
		// The next transaction, a position transaction at the latest,
		// does as well.
		return nil
	}
	if txn.End.GTIDSet == "" && (txn.GTID != "" || hasWork) {
		m.fail(w, fmt.Errorf("%w: the stream of source %s carries no GTID set (it streams by binlog file and "+
			"offset, or the source does not use GTIDs), so the GTID watermarks of a chunk cannot be found in it; "+
			"use backfill_watermarks: table, or stream by GTID", ErrNoGTIDs, m.source))
		return nil
	}
	end, err := gtid.Parse(g.flavor, txn.End.GTIDSet)
	if err != nil {
		m.fail(w, err)
		return nil
	}
	if !end.Contains(*g.high) {
		return nil
	}
	if w.keyed != nil && w.redo == "" && (len(txn.Changes) > 0 || txn.Sinks != nil) {
		// A recheck's rows go to some sinks only, and the transaction
		// that carries them is addressed to those alone: they wait for a
		// transaction that carries nothing else, a position transaction
		// at the latest (gtidMarks.await asks for them). The keys the
		// transactions until then touch are recorded above and left to
		// the stream, which is what (b) asks of a later point.
		return nil
	}
	reads, cursors := m.close(w, txn, w.keyed != nil)
	txn.Changes = append(txn.Changes, reads...)
	return cursors
}

// fail ends w with an error that reading the chunk again cannot cure.
func (m *Merger) fail(w *window, err error) {
	m.dropLocked(w)
	w.result <- outcome{err: err}
}
