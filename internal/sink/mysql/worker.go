package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/metrics"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// worker applies the operations of its queue in order, in batches.
type worker struct {
	s    *Sink
	lane *lane
	id   int
	log  *slog.Logger
	in   chan []item
	// pending holds the items of a received slice that did not fit the
	// batch, gathered first next time.
	pending []item
	b       batch
	// maxItems bounds the operations of one batch.
	maxItems int
	// bySource counts the batch's operations by source, reused.
	bySource map[string]uint64
	// room is the queue room the batch's operations hold, given back
	// once it is applied.
	room int64
	// last remembers the worker's last writes to rows completed by
	// lookups (see unchanged.go).
	last *lastWrites
	// ordered is set while the batch keeps its order: it holds a table
	// with a unique key besides its operations' key. Its long runs may
	// then be split over several connections (see split.go).
	ordered bool
	split   splitState
}

// countSources counts the batch's operations by source into bySource.
func (w *worker) countSources() {
	if w.bySource == nil {
		w.bySource = map[string]uint64{}
	}
	clear(w.bySource)
	for i := range w.b.items {
		if from := w.b.items[i].from; from != nil {
			w.bySource[from.source]++
		}
	}
}

func newWorker(id int, l *lane, s *Sink) *worker {
	log := s.log.With("worker", id)
	if l.sources != "" {
		log = log.With("lookup_sources", l.sources)
	}
	return &worker{
		s:    s,
		lane: l,
		id:   id,
		log:  log,
		// The lanes share the queue room of one: with lookups, the sink
		// holds no more operations in memory than without.
		in: make(chan []item, max(1, s.opts.RowsPerStatement*s.opts.StatementsPerTxn/len(s.lanes))),
		b:  batch{rowsPerStmt: s.opts.RowsPerStatement},
		// maxItems bounds one target transaction.
		maxItems: s.opts.RowsPerStatement * s.opts.StatementsPerTxn,
		last:     newLastWrites(&s.remembered, &s.evicted, s.opts.RememberedRows),
	}
}

// run applies batches until ctx ends.
func (w *worker) run(ctx context.Context) {
	for {
		acks, retry, ok := w.gather(ctx)
		if !ok {
			return
		}
		var err error
		if len(w.b.items) > 0 {
			// Counted before compaction merges operations, as queued.
			w.countSources()
			w.s.batchOps.Observe(float64(len(w.b.items)))
			w.ordered = !w.compactable(ctx)
			if !w.ordered {
				w.b.compact()
			}
			if err = w.apply(ctx); err == nil {
				w.s.acks.finish(w.id, w.bySource)
			}
		} else {
			err = w.s.haltErr()
		}
		w.b.reset()
		w.lane.room.release(w.room)
		w.room = 0
		if ctx.Err() != nil {
			if retry != nil {
				retry.retry.done <- RetryResult{err: ctx.Err()}
			}
			return
		}
		if retry != nil {
			w.retryOne(ctx, retry)
		}
		for _, ack := range acks {
			ack <- err
		}
	}
}

// gather fills the batch with what is queued, without waiting once it
// holds something. It stops at a barrier, whose ack it returns, at a
// retried operation, which it returns to be applied after the batch, or
// when the batch holds RowsPerStatement × StatementsPerTxn operations.
// It reports false when ctx ends.
func (w *worker) gather(ctx context.Context) ([]chan error, *item, bool) {
	if len(w.pending) == 0 {
		select {
		case <-ctx.Done():
			return nil, nil, false
		case w.pending = <-w.in:
		}
	}
	for {
		for len(w.pending) > 0 {
			if len(w.b.items) >= w.maxItems {
				return nil, nil, true
			}
			// Taken by pointer: a copy whose address escaped, for a
			// retried operation, would move every item to the heap.
			it := &w.pending[0]
			switch {
			case it.barrier != nil:
				ack := it.barrier
				w.next()
				return []chan error{ack}, nil, true
			case it.retry != nil:
				retried := *it
				w.next()
				return nil, &retried, true
			}
			w.room += it.room
			w.b.add(*it)
			w.next()
		}
		if len(w.b.items) >= w.maxItems {
			return nil, nil, true
		}
		select {
		case w.pending = <-w.in:
		default:
			return nil, nil, true
		}
	}
}

// next drops the first pending item, once taken.
func (w *worker) next() {
	w.pending[0] = item{}
	w.pending = w.pending[1:]
}

// compactable reports whether every operation of the batch is on a table
// whose operations commute across rows (see compact.go).
func (w *worker) compactable(ctx context.Context) bool {
	var last *change.TargetTable
	for i := range w.b.items {
		t := w.b.items[i].op.Target
		if t == last {
			continue
		}
		if serial, err := w.s.keys.serial(ctx, t); err != nil || serial {
			return false
		}
		last = t
	}
	return true
}

// apply applies the batch in order. Each run of statements between those
// holding Rejects or Rederives is one target transaction, retried while
// the target's errors are transient, and applied operation by operation
// after a permanent error, to find and handle the failing ones. Rejects
// and Rederives are never sent: each fails in its place, after the
// operations before it are committed and, when it halts the sink, before
// any after it is applied.
func (w *worker) apply(ctx context.Context) error {
	if err := w.s.haltErr(); err != nil {
		return err // halted: nothing more is applied
	}
	stmts := w.b.stmts
	for len(stmts) > 0 {
		n := slices.IndexFunc(stmts, w.b.neverSent)
		if n < 0 {
			n = len(stmts)
		}
		if n > 0 {
			if err := w.applyRun(ctx, stmts[:n]); err != nil {
				return err
			}
		}
		if n == len(stmts) {
			return nil
		}
		st := stmts[n]
		for i := st.start; i < st.end; i++ {
			if err := w.fail(&w.b.items[i], neverSentError(&w.b.items[i].op)); err != nil {
				w.s.setHalt(err)
				return err
			}
		}
		stmts = stmts[n+1:]
	}
	return nil
}

// applyRun applies stmts, consecutive statements of the batch, as one
// target transaction; after a permanent error, see applyStmts.
func (w *worker) applyRun(ctx context.Context, stmts []stmt) error {
	if err := w.handing(w.b.items[stmts[0].start:stmts[len(stmts)-1].end]); err != nil {
		w.s.setHalt(err)
		return err
	}
	return w.applyStmts(ctx, stmts)
}

// applyStmts applies stmts as one target transaction, retried while the
// target's errors are transient. After a permanent error in one statement,
// the statements before it are applied again as one transaction, that one
// operation by operation, to find and handle the failing operations, and
// the statements after it as one transaction again: a collision in a
// replay costs one statement's round trips, not the whole batch's. An
// error that no statement owns (the commit) sends the whole run operation
// by operation.
func (w *worker) applyStmts(ctx context.Context, stmts []stmt) error {
	start := time.Now()
	err := retryTransient(ctx, w.log, &w.s.retries, "applying batch", func() error { return w.exec(ctx, stmts) })
	if err == nil {
		w.s.applySeconds.Observe(time.Since(start).Seconds())
		w.last.commit()
		return w.applied(w.b.items[stmts[0].start:stmts[len(stmts)-1].end])
	}
	if ctx.Err() != nil {
		return err
	}
	var se *stmtError
	if !errors.As(err, &se) || len(stmts) == 1 {
		items := w.b.items[stmts[0].start:stmts[len(stmts)-1].end]
		err = itemsKeyGuardError(items, err)
		w.log.Warn("applying operation by operation after permanent error",
			"ops", len(items), "targets", targets(items), "code", errorCode(err), "error", mysqlerr.Redact(err))
		return w.applyEach(ctx, items)
	}
	k := se.index
	if k > 0 {
		if err := w.applyStmts(ctx, stmts[:k]); err != nil {
			return err
		}
	}
	st := stmts[k]
	items := w.b.items[st.start:st.end]
	err = itemsKeyGuardError(items, err)
	w.log.Warn("applying one statement operation by operation after permanent error",
		"ops", len(items), "run_ops", stmts[len(stmts)-1].end-stmts[0].start, "targets", targets(items),
		"code", errorCode(err), "error", mysqlerr.Redact(err))
	if err := w.applyEach(ctx, items); err != nil {
		return err
	}
	if k+1 < len(stmts) {
		return w.applyStmts(ctx, stmts[k+1:])
	}
	return nil
}

// stmtError is the error of the statement at index of a run.
type stmtError struct {
	index int
	err   error
}

func (e *stmtError) Error() string { return e.err.Error() }
func (e *stmtError) Unwrap() error { return e.err }

// exec resolves the pending lookups of stmts' operations, then runs the
// statements in one transaction; a single statement runs on its own
// (autocommit), which saves two round trips.
func (w *worker) exec(ctx context.Context, stmts []stmt) error {
	// The lookups are read here, in one call for the whole run, inside the
	// retried function and right before the statements are built. That is
	// after every operation of this worker's earlier batches has committed
	// (a worker applies its batches one after another, in queue order) and
	// after the source change of every operation of this batch was seen;
	// operations earlier in the batch are written before these, in the
	// same transaction. So the last write to a row carries a read taken
	// after the last change seen, whatever a retry repeats. Keep it so.
	w.last.begin(w.s.barriers.Load())
	n, err := w.resolve(ctx, w.b.items[stmts[0].start:stmts[len(stmts)-1].end])
	if err != nil {
		return err
	}
	if n > 0 && !w.b.uniform(stmts) {
		return permanent(errors.New("resolving lookups: the resolver gave operations of one statement different columns"))
	}
	if parts := w.splitParts(w.b.items[stmts[0].start:stmts[len(stmts)-1].end], len(stmts)); parts > 0 && w.execSplitOrWhole(ctx, stmts, parts) {
		return nil
	}
	if len(stmts) == 1 {
		if err := w.execStmt(ctx, nil, stmts[0]); err != nil {
			return &stmtError{0, err}
		}
		return nil
	}
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning target transaction: %w", err)
	}
	for i, st := range stmts {
		if err := w.execStmt(ctx, tx, st); err != nil {
			_ = tx.Rollback() // the error to report is err; the server rolls back anyway
			return &stmtError{i, fmt.Errorf("applying %d operations to %s: %w", st.end-st.start, w.b.items[st.start].op.Target.QualifiedName(), err)}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing target transaction: %w", err)
	}
	return nil
}

// execStmt runs st in tx, or on its own when tx is nil, and remembers
// its writes (see unchanged.go).
func (w *worker) execStmt(ctx context.Context, tx *sql.Tx, st stmt) error {
	b, kept := w.last.filter(&w.b, st)
	if kept.start == kept.end {
		return nil // every update would leave its row as it is
	}
	err := w.execOps(ctx, tx, b, kept)
	w.last.release()
	if err != nil {
		return err
	}
	for i := st.start; i < st.end; i++ {
		w.last.wrote(&w.b.items[i])
	}
	return nil
}

// execOps runs st, a statement of b, in tx, or on its own when tx is nil:
// prepared when it is a full upsert statement (see prepared.go), else
// interpolated.
func (w *worker) execOps(ctx context.Context, tx *sql.Tx, b *batch, st stmt) error {
	if b.preparable(st) {
		first := &b.items[st.start].op
		ps, err := w.s.prepared.stmt(ctx, first.Target, first.Columns, st.end-st.start)
		if err != nil {
			return fmt.Errorf("preparing upsert of %s: %w", describeShape(first.Target, first.Columns, st.end-st.start), err)
		}
		if ps != nil {
			if tx != nil {
				ps = tx.StmtContext(ctx, ps)
			}
			_, err = ps.ExecContext(ctx, b.upsertArgs(st)...)
			return err
		}
	}
	q, args := b.sql(st)
	if q == "" {
		return nil
	}
	run := func(q string) error {
		var err error
		if tx != nil {
			_, err = tx.ExecContext(ctx, q, args...)
		} else {
			_, err = w.s.db.ExecContext(ctx, q, args...)
		}
		return err
	}
	first := &b.items[st.start].op
	if first.Kind != change.UpdateRow || st.end-st.start == 1 {
		return run(q)
	}
	byInsert, err := w.byInsert(ctx, first)
	if err != nil {
		return err
	}
	if !byInsert {
		return run(q)
	}
	// The same parameters in the insert form (see updateform.go). A
	// refused statement changes nothing and leaves the transaction open.
	err = run(updateInsertSQL(first.Target, first.Columns, first.Cond, st.end-st.start))
	if err == nil || !refusal(err) {
		return err
	}
	if err2 := run(q); err2 != nil {
		return err2
	}
	w.s.updates.refuse(first, errorCode(err))
	return nil
}

// applied tells the watch that items were applied; an error halts the
// sink.
func (w *worker) applied(items []item) error {
	w.countUnchanged(items)
	if err := w.s.watch.applied(items); err != nil {
		w.s.setHalt(err)
		return err
	}
	return nil
}

// targets returns the target tables of items, each once, in order.
func targets(items []item) []string {
	var out []string
	for i := range items {
		if name := items[i].op.Target.QualifiedName(); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// countUnchanged counts the updates of items not sent: those seen before
// (see seen.go) and the others left unchanged, once per run of one table
// rather than once per update (a table's name is built for each count).
func (w *worker) countUnchanged(items []item) {
	countRuns(items, func(it *item) bool { return it.unchanged && !it.seenBefore }, &w.s.unchanged)
	countRuns(items, func(it *item) bool { return it.seenBefore }, &w.s.seenBefore)
}

// countRuns adds to c, by target table, the items that counted reports.
func countRuns(items []item, counted func(*item) bool, c *metrics.Counts) {
	var t *change.TargetTable
	var n uint64
	for i := range items {
		if !counted(&items[i]) {
			continue
		}
		if items[i].op.Target != t {
			if n > 0 {
				c.Add(t.QualifiedName(), n)
			}
			t, n = items[i].op.Target, 0
		}
		n++
	}
	if n > 0 {
		c.Add(t.QualifiedName(), n)
	}
}
