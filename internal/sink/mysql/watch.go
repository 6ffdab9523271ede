package mysql

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// WatchedStore is a FailedStore that also lets the sink mark recorded
// failures superseded. With one, the sink watches the target rows of the
// failures it records (and of those recorded before it started): once a
// later operation on such a row is applied, re-applying the failed one
// would overwrite it, so its record is marked superseded, durably, before
// the operation that superseded it is acknowledged. Retry refuses the
// records so marked.
type WatchedStore interface {
	FailedStore
	// FailedChanges returns every recorded failure in id order.
	FailedChanges() ([]change.FailedChange, error)
	// MarkFailedSuperseded marks the records with ids superseded at at;
	// ids that name no record are skipped.
	MarkFailedSuperseded(ids []uint64, at time.Time) error
}

// watch holds the target rows of the recorded failures not yet
// superseded: by rowID, the ids of their records.
type watch struct {
	store WatchedStore
	// n is the number of rows watched, read without the lock on every
	// applied batch.
	n    atomic.Int64
	mu   sync.Mutex
	rows map[string][]uint64
}

// newWatch loads the rows of the records of store that are not
// superseded; a nil store watches nothing.
func newWatch(store FailedStore) (*watch, error) {
	w := &watch{rows: map[string][]uint64{}}
	ws, ok := store.(WatchedStore)
	if !ok {
		return w, nil
	}
	w.store = ws
	all, err := ws.FailedChanges()
	if err != nil {
		return nil, fmt.Errorf("reading the recorded failures to watch their rows: %w", err)
	}
	for _, fc := range all {
		if fc.Superseded.IsZero() && len(fc.Key) > 0 {
			w.addLocked(rowID(fc.Target, fc.Key), fc.ID)
		}
	}
	return w, nil
}

// rowID names a target row: the table, then its key as route encodes it,
// with text folded to lower case and without trailing spaces, as a
// case-insensitive, space-padding collation compares it: two keys the
// target may take for one row are one row here too (a row watched too
// widely only refuses a retry, never lets one overwrite).
func rowID(target string, key []change.Value) string {
	return string(appendRowID(nil, target, key))
}

// appendRowID appends rowID(target, key) to b.
func appendRowID(b []byte, target string, key []change.Value) []byte {
	return appendRowKey(append(b, target...), key)
}

// appendRowKey appends the part of a rowID after the table name.
func appendRowKey(b []byte, key []change.Value) []byte {
	b = append(b, 0)
	for _, v := range key {
		if s, ok := v.(string); ok {
			v = strings.ToLower(strings.TrimRight(s, " "))
		}
		b = appendKeyValue(b, v)
	}
	return b
}

func (w *watch) addLocked(row string, id uint64) {
	if _, ok := w.rows[row]; !ok {
		w.n.Add(1)
	}
	w.rows[row] = append(w.rows[row], id)
}

// add watches the row of op, whose failure was recorded as id.
func (w *watch) add(op *change.TargetOp, id uint64) {
	if w.store == nil || len(op.Key) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(rowID(op.Target.QualifiedName(), op.Key), id)
}

// applied marks superseded the records of the rows of items, which were
// just applied. It fails when the store cannot say so: the sink must
// then halt, as it does when the store cannot record a failure.
func (w *watch) applied(items []item) error {
	if w.n.Load() == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []uint64
	var rows []string
	var buf []byte
	for i := range items {
		op := &items[i].op
		if len(op.Key) == 0 || op.Kind == change.Reject || op.Kind == change.Rederive {
			continue
		}
		buf = append(append(append(buf[:0], op.Target.Schema...), '.'), op.Target.Name...)
		buf = appendRowKey(buf, op.Key)
		if got, ok := w.rows[string(buf)]; ok { // no allocation: the compiler reads buf in place
			ids = append(ids, got...)
			rows = append(rows, string(buf))
		}
	}
	return w.supersedeLocked(ids, rows)
}

// appliedTable marks superseded the records of every row of target, on
// which a table statement (a truncate, a cleared column) was applied.
func (w *watch) appliedTable(target string) error {
	if w.n.Load() == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []uint64
	var rows []string
	for row, got := range w.rows {
		if strings.HasPrefix(row, target+"\x00") {
			ids = append(ids, got...)
			rows = append(rows, row)
		}
	}
	return w.supersedeLocked(ids, rows)
}

// retried stops watching the record id of row, re-applied, and marks
// superseded the older records of the row: re-applying them would
// overwrite it.
func (w *watch) retried(row string, id uint64) error {
	if w.store == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var older, rest []uint64
	for _, got := range w.rows[row] {
		switch {
		case got < id:
			older = append(older, got)
		case got > id:
			rest = append(rest, got)
		}
	}
	if len(older) > 0 {
		if err := w.store.MarkFailedSuperseded(older, time.Now()); err != nil {
			return fmt.Errorf("marking %d failed changes superseded: %w", len(older), err)
		}
	}
	w.setLocked(row, rest)
	return nil
}

// superseded reports whether row is no longer watched for id: a later
// operation on it was applied.
func (w *watch) superseded(row string, id uint64) bool {
	if w.store == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, got := range w.rows[row] {
		if got == id {
			return false
		}
	}
	return true
}

func (w *watch) supersedeLocked(ids []uint64, rows []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := w.store.MarkFailedSuperseded(ids, time.Now()); err != nil {
		return fmt.Errorf("marking %d failed changes superseded: %w", len(ids), err)
	}
	for _, row := range rows {
		w.setLocked(row, nil)
	}
	return nil
}

func (w *watch) setLocked(row string, ids []uint64) {
	_, had := w.rows[row]
	switch {
	case len(ids) > 0:
		w.rows[row] = ids
	case had:
		delete(w.rows, row)
		w.n.Add(-1)
	}
}
