package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// Merger merges one source's backfill chunks into the source's ordered
// stream. Its Intercept sees every part of the source in stream order,
// before the mappings. Each chunk in flight has a window; windows of
// different tables are open at once, each recording only its own
// table's keys, and the chunks of one table in flight follow one another
// (the next is read once the previous one's high watermark is written,
// so their windows never overlap). A window bounded by GTID sets
// (gtidmerge.go) is the only one in flight: it records every
// transaction, not the rows between two of its own, so the source copies
// one chunk at a time then.
//
// Why a chunk merged at its high watermark is right: the chunk is read
// after its low watermark committed and before its high watermark was
// written, as one consistent read, so it shows every row as of some point
// R between the two in the binlog. For a row of the chunk, either no
// binlog change between the watermarks touched it, and then the row held
// the read image from the low watermark through the high one, so
// emitting it at the high watermark is emitting its state there; or one
// did, and then the row is dropped: the stream carries that change, with
// its full image, at its own place, and whatever the read saw of the row
// is older than or equal to the last such change. A dropped row is never
// lost: its changes after R are in the stream after R, and if all of them
// came before R the read reflects the last one, which the stream applied
// before the high watermark anyway. Keys are compared by their exact
// bytes: a binlog image and a read of one row hold the same stored value,
// whatever the collation (two keys that a case-insensitive collation
// makes equal are one row, and both spellings are in the images). Other
// windows open at the same time change nothing of this: the rows of
// another window are other rows (another table, or another range of
// keys), and a copied row is not a binlog change, so it touches no
// window.
type Merger struct {
	source string
	log    *slog.Logger
	mu     struct {
		sync.Mutex
		// windows are the chunks in flight, in the order they were
		// expected. A window bounded by GTID sets is always alone
		// (expectGTID).
		windows []*window
		// passed is where the stream is, for GTID watermarks (gtidmerge.go).
		passed streamPoint
	}
}

// NewMerger returns the merger of source.
func NewMerger(source string, log *slog.Logger) *Merger {
	if log == nil {
		log = slog.Default()
	}
	return &Merger{source: source, log: log}
}

// window is a chunk in flight: expected since its low watermark was
// about to be written, open once it came through the stream.
type window struct {
	id    string
	chunk uint64
	plan  *Plan
	keys  []string
	// idx caches the key's column indexes per binlog description.
	idx map[*change.Table][]int
	// open is set by the low watermark.
	open bool
	// changed holds the encoded keys the stream touched while open.
	changed map[string]struct{}
	// redo says why the chunk must be read again, "" if it need not.
	redo string
	// rows, delivered before the high watermark is written, and the
	// cursor after them.
	rows      []change.Row
	delivered bool
	cursor    checkpoint.Cursor
	// result receives the window's outcome once.
	result chan outcome
	// prev is the chunk of the same table in flight before this one, if
	// any: read before it, merged before it in the stream. Its rows
	// count on into this one's cursor, and unless it was merged this one
	// is void, or its cursor would pass rows never handed on.
	prev *window
	// merged is set once the window handed its chunk on, rowsAfter then
	// being the table's Rows after it.
	merged    bool
	rowsAfter uint64
	// gtid holds the marks of a window bounded by GTID sets, nil for
	// watermark rows.
	gtid *gtidWindow
	// resync marks a window of Backfiller.Resync: it has no cursor, and
	// deletes holds the deletes of keys its read found absent. folded
	// holds the keys the stream touched while open, folded (foldKey).
	resync  bool
	deletes []change.RowChange
	folded  map[string]struct{}
	// keyed is set on a recheck window (recheck.go): it reads listed
	// keys for some sinks only, and carries no cursor.
	keyed *keyedChunk
}

// outcome is what became of a chunk.
type outcome struct {
	// cursor is the table's cursor after the chunk, with Rows counting
	// the rows handed on.
	cursor checkpoint.Cursor
	// kept and dropped count the chunk's rows handed on and left to the
	// stream; deleted the deletes handed on: a recheck's rows gone from
	// the source, a resync window's keys its read found absent.
	kept, dropped, deleted int
	// redo, when set, says why nothing was handed on and the chunk must
	// be read again.
	redo string
	// err, when set, says why the chunk cannot be merged at all.
	err error
	// seq is the Seq of the transaction that carries a recheck window's
	// rows.
	seq uint64
}

// expect adds a chunk to those in flight, before its low watermark is
// written; prev is the table's chunk in flight before it, or nil.
func (m *Merger) expect(id string, chunk uint64, plan *Plan, prev *window) *window {
	w := newWindow(id, chunk, plan)
	w.prev = prev
	m.mu.Lock()
	m.mu.windows = append(m.mu.windows, w)
	m.mu.Unlock()
	return w
}

func newWindow(id string, chunk uint64, plan *Plan) *window {
	return &window{id: id, chunk: chunk, plan: plan, keys: plan.KeyNames(),
		idx: map[*change.Table][]int{}, changed: map[string]struct{}{}, result: make(chan outcome, 1)}
}

// deliver hands the chunk's rows and the cursor after them to w, before
// its high watermark is written.
func (m *Merger) deliver(w *window, rows []change.Row, cursor checkpoint.Cursor) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.rows, w.cursor, w.delivered = rows, cursor, true
}

// markResync makes w a resync window, before its low watermark is
// written. A window bounded by GTID sets records from its expectation
// on, so it folds the keys it records from the start (expectGTID).
func (m *Merger) markResync(w *window) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.resync = true
	if w.folded == nil {
		w.folded = map[string]struct{}{}
	}
}

// deliverResync hands a resync window its rows and the deletes of the
// keys its read found absent, before its high watermark is written.
func (m *Merger) deliverResync(w *window, rows []change.Row, deletes []change.RowChange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.rows, w.deletes, w.delivered = rows, deletes, true
}

// cancel drops w if it is still in flight: its watermarks, should they
// still come through, are then ignored.
func (m *Merger) cancel(w *window) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropLocked(w)
}

// dropLocked removes w from the windows in flight.
func (m *Merger) dropLocked(w *window) {
	m.mu.windows = slices.DeleteFunc(m.mu.windows, func(o *window) bool { return o == w })
}

// cancelAll drops every window in flight.
func (m *Merger) cancelAll() {
	m.mu.Lock()
	m.mu.windows = nil
	m.mu.Unlock()
}

// windowLocked returns the window in flight that mark belongs to, or nil.
func (m *Merger) windowLocked(mark watermark) *window {
	for _, w := range m.mu.windows {
		if w.id == mark.id && w.chunk == mark.chunk {
			return w
		}
	}
	return nil
}

// insertion is a closed chunk's reads and where in the kept changes they
// go.
type insertion struct {
	at    int
	reads []change.RowChange
}

// Intercept runs on every part of the source in stream order. It strips
// the watermark rows (they never reach a sink), records the keys of each
// open window's table that changes touch and, at a window's high
// watermark, inserts the chunk's remaining rows where the watermark was,
// as change.Read rows. It returns the cursors to save with the checkpoint
// that covers txn: those of the chunks txn carried.
func (m *Merger) Intercept(_ context.Context, txn *change.Txn) ([]checkpoint.Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.passed.advance(txn)
	if len(m.mu.windows) == 1 && m.mu.windows[0].gtid != nil {
		return m.interceptGTID(m.mu.windows[0], txn), nil
	}
	if len(m.mu.windows) == 0 && !hasWatermark(txn) {
		return nil, nil
	}
	for _, w := range m.mu.windows {
		if w.open {
			w.ddl(txn)
		}
	}
	pure := onlyWatermarks(txn)
	kept := txn.Changes[:0]
	var inserts []insertion
	var cursors []checkpoint.Cursor
	for i := range txn.Changes {
		c := &txn.Changes[i]
		if c.Table != nil && IsWatermark(c.Table.Schema, c.Table.Name) {
			mark, ok := parseWatermark(c)
			if w := m.windowLocked(mark); ok && w != nil {
				switch mark.kind {
				case lowMark:
					w.open = true
				case highMark:
					reads, cs := m.close(w, txn, pure)
					if len(reads) > 0 {
						inserts = append(inserts, insertion{at: len(kept), reads: reads})
					}
					cursors = append(cursors, cs...)
				}
			}
			continue
		}
		for _, w := range m.mu.windows {
			if w.open {
				w.record(c)
			}
		}
		kept = append(kept, *c)
	}
	clear(txn.Changes[len(kept):]) // release what was stripped
	txn.Changes = kept
	// From the last insertion back, so the earlier places stay right.
	for i := len(inserts) - 1; i >= 0; i-- {
		txn.Changes = slices.Insert(txn.Changes, inserts[i].at, inserts[i].reads...)
	}
	return cursors, nil
}

// hasWatermark reports whether txn holds a row of the watermark table.
func hasWatermark(txn *change.Txn) bool {
	for i := range txn.Changes {
		if t := txn.Changes[i].Table; t != nil && IsWatermark(t.Schema, t.Name) {
			return true
		}
	}
	return false
}

// ddl marks the window for a redo when txn's statements touched its
// table: the rows read may no longer be the table's columns, or its rows
// at all (TRUNCATE, DROP, RENAME).
func (w *window) ddl(txn *change.Txn) {
	name := w.plan.Table.QualifiedName()
	for _, d := range txn.DDL {
		if d.QualifiedName() == name || d.NewSchema+"."+d.NewTable == name {
			w.redo = fmt.Sprintf("a %s of the table came through the stream between the watermarks", d.Kind)
			return
		}
	}
	if slices.Contains(txn.Altered, name) {
		w.redo = "a statement changed the table's definition between the watermarks"
	}
}

// record adds the keys of c's images when c is a change of the window's
// table.
func (w *window) record(c *change.RowChange) {
	t := c.Table
	if t == nil || t.Schema != w.plan.Table.Schema || t.Name != w.plan.Table.Name {
		return
	}
	idx, ok := w.idx[t]
	if !ok {
		idx = make([]int, len(w.keys))
		for i, name := range w.keys {
			if idx[i] = t.ColumnIndex(name); idx[i] < 0 {
				idx = nil
				break
			}
		}
		w.idx[t] = idx
	}
	if idx == nil {
		w.redo = "a change came through the stream without the key's columns"
		return
	}
	for _, row := range []change.Row{c.Before, c.After} {
		if row == nil || len(row) != len(t.Columns) {
			continue
		}
		vals := make([]change.Value, len(idx))
		for i, col := range idx {
			vals[i] = row[col]
		}
		w.changed[string(appendKey(nil, vals))] = struct{}{}
		if w.folded != nil {
			w.folded[string(foldKey(nil, vals))] = struct{}{}
		}
	}
}

// close ends the window at its high watermark in txn: the rows the stream
// did not touch become Read changes, the rest are dropped, and the
// outcome goes to the Backfiller. It returns the reads and the cursor to
// save with txn's checkpoint; none when the chunk must be read again.
func (m *Merger) close(w *window, txn *change.Txn, pure bool) ([]change.RowChange, []checkpoint.Cursor) {
	m.dropLocked(w)
	if w.keyed != nil {
		return m.closeKeyed(w, txn, pure), nil
	}
	prev := w.prev
	w.prev = nil // no chain of windows kept alive
	redo := w.redo
	switch {
	case prev != nil && !prev.merged:
		redo = "an earlier chunk of the table is read again"
	case redo != "":
	case !w.open:
		redo = "the high watermark came through the stream before the low one"
	case !w.delivered:
		redo = "the high watermark came through the stream before the chunk was read"
	case !txn.Last:
		redo = "the high watermark came through the stream inside a larger transaction"
	}
	if redo != "" {
		w.result <- outcome{redo: redo}
		return nil, nil
	}
	if w.resync {
		return m.closeResync(w), nil
	}
	reads := make([]change.RowChange, 0, len(w.rows))
	var key []byte
	for _, row := range w.rows {
		key = appendKey(key[:0], w.plan.KeyOf(row))
		if _, touched := w.changed[string(key)]; touched {
			continue
		}
		reads = append(reads, change.RowChange{Table: w.plan.Table, Op: change.Read, After: row})
	}
	// The cursor after the chunk goes back with txn, the transaction that
	// now carries its rows, to be saved in the checkpoint that covers txn.
	// That is why it is safe: the cursor is durable exactly when txn is
	// durable in every sink, so a restart either resumes after txn with
	// this cursor, or before txn with an earlier one and copies this
	// chunk again (an upsert of rows read again later, harmless); it can
	// never resume past a chunk whose rows were lost.
	cursor := w.cursor
	if prev != nil {
		cursor.Rows = prev.rowsAfter
	}
	cursor.Rows += uint64(len(reads))
	w.merged, w.rowsAfter = true, cursor.Rows
	dropped := len(w.rows) - len(reads)
	w.rows = nil
	w.result <- outcome{cursor: cursor, kept: len(reads), dropped: dropped}
	return reads, []checkpoint.Cursor{cursor}
}

// closeResync ends a resync window at its high watermark: its rows as
// close hands a chunk's on, then the deletes of the keys its read found
// absent, each unless a change in the window touched a key that folds
// like it. No cursor: a resync is not resumed.
//
// The deletes go through the stream here, at the high watermark, rather
// than to the target after the resync, for the reason the rows do: the
// read saw the key absent at a point R between the watermarks. If no
// change of the window touched the key, the row was absent from the low
// watermark through the high one, so deleting it at the high watermark
// deletes what the source did not have there; an insert of the key after
// the high watermark comes later in the stream and wins. If a change did
// touch it (an insert racing with the read), the delete is dropped: the
// stream carries that change itself. A delete sent to the target straight
// away could instead land after such an insert had been applied, and lose
// it. Keys are compared folded (a collation may match 'A' with 'a'), so a
// doubt keeps the row.
func (m *Merger) closeResync(w *window) []change.RowChange {
	reads := make([]change.RowChange, 0, len(w.rows)+len(w.deletes))
	var key []byte
	for _, row := range w.rows {
		key = appendKey(key[:0], w.plan.KeyOf(row))
		if _, touched := w.changed[string(key)]; touched {
			continue
		}
		reads = append(reads, change.RowChange{Table: w.plan.Table, Op: change.Read, After: row})
	}
	kept := len(reads)
	for _, d := range w.deletes {
		key = foldKey(key[:0], w.plan.KeyOf(d.Before))
		if _, touched := w.folded[string(key)]; touched {
			continue
		}
		reads = append(reads, d)
	}
	o := outcome{kept: kept, dropped: len(w.rows) - kept, deleted: len(reads) - kept}
	w.rows, w.deletes, w.merged = nil, nil, true
	w.result <- o
	return reads
}
