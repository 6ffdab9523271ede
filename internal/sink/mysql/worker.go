package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// worker applies the operations of its queue in order, in batches.
type worker struct {
	s   *Sink
	log *slog.Logger
	in  chan item
	b   batch
	// maxItems bounds the operations of one batch.
	maxItems int
}

func newWorker(id int, s *Sink) *worker {
	return &worker{
		s:   s,
		log: s.log.With("worker", id),
		in:  make(chan item, s.opts.RowsPerStatement*s.opts.StatementsPerTxn),
		b:   batch{rowsPerStmt: s.opts.RowsPerStatement},
		// maxItems bounds one target transaction.
		maxItems: s.opts.RowsPerStatement * s.opts.StatementsPerTxn,
	}
}

// run applies batches until ctx ends.
func (w *worker) run(ctx context.Context) {
	for {
		acks, ok := w.gather(ctx)
		if !ok {
			return
		}
		var err error
		if len(w.b.items) > 0 {
			if w.compactable(ctx) {
				w.b.compact()
			}
			err = w.apply(ctx)
		} else {
			err = w.s.haltErr()
		}
		w.b.reset()
		if ctx.Err() != nil {
			return
		}
		for _, ack := range acks {
			ack <- err
		}
	}
}

// gather fills the batch with what is queued, without waiting once it
// holds something. It stops at a barrier, whose ack it returns, or when
// the batch holds RowsPerStatement × StatementsPerTxn operations. It
// reports false when ctx ends.
func (w *worker) gather(ctx context.Context) ([]chan error, bool) {
	select {
	case <-ctx.Done():
		return nil, false
	case it := <-w.in:
		if it.barrier != nil {
			return []chan error{it.barrier}, true
		}
		w.b.add(it)
	}
	for len(w.b.items) < w.maxItems {
		select {
		case it := <-w.in:
			if it.barrier != nil {
				return []chan error{it.barrier}, true
			}
			w.b.add(it)
		default:
			return nil, true
		}
	}
	return nil, true
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

// apply applies the batch: as one target transaction, retried while the
// target's errors are transient; on a permanent error, operation by
// operation, to find and handle the failing ones.
func (w *worker) apply(ctx context.Context) error {
	if err := w.s.haltErr(); err != nil {
		return err // halted: nothing more is applied
	}
	err := retry(ctx, w.log, "applying batch", func() error { return w.exec(ctx) })
	if err == nil || ctx.Err() != nil {
		return err
	}
	w.log.Warn("applying batch operation by operation after permanent error",
		"ops", len(w.b.items), "code", errorCode(err), "error", redact(err))
	return w.applyEach(ctx)
}

// exec runs the batch's statements in one transaction; a single statement
// runs on its own (autocommit), which saves two round trips.
func (w *worker) exec(ctx context.Context) error {
	db := w.s.db
	if len(w.b.stmts) == 1 {
		q, args := w.b.sql(w.b.stmts[0])
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning target transaction: %w", err)
	}
	for _, st := range w.b.stmts {
		q, args := w.b.sql(st)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			_ = tx.Rollback() // the error to report is err; the server rolls back anyway
			return fmt.Errorf("applying %d operations to %s: %w", st.end-st.start, w.b.items[st.start].op.Target.QualifiedName(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing target transaction: %w", err)
	}
	return nil
}

// applyEach applies the batch one operation per statement, in order. A
// permanently failing operation halts the sink or, under OnErrorRecord, is
// recorded and skipped.
func (w *worker) applyEach(ctx context.Context) error {
	for i := range w.b.items {
		it := &w.b.items[i]
		one := batch{items: w.b.items[i : i+1], stmts: []stmt{{start: 0, end: 1}}}
		q, args := one.sql(one.stmts[0])
		err := retry(ctx, w.log, "applying operation", func() error {
			_, err := w.s.db.ExecContext(ctx, q, args...)
			return err
		})
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = keyGuardError(&it.op, err)
		if resolved, rerr := w.retryAfterConflict(ctx, it, q, args, err); rerr != nil {
			err = rerr
		} else if resolved {
			continue
		}
		if err := w.fail(it, err); err != nil {
			w.s.setHalt(err)
			return err
		}
	}
	return nil
}

// fail handles an operation that failed permanently with cause. It returns
// the error that halts the sink, or nil when the failure was recorded.
func (w *worker) fail(it *item, cause error) error {
	op := &it.op
	ae := &ApplyError{
		Target: op.Target.QualifiedName(), Op: op.Kind.String(),
		Source: it.from.source, Seq: it.from.seq, GTID: it.from.gtid, Position: it.from.pos,
		Err: redact(cause),
	}
	if w.s.opts.OnError != OnErrorRecord {
		w.log.Error("halting on permanent target error", "target", ae.Target, "source", ae.Source,
			"seq", ae.Seq, "code", errorCode(cause), "error", ae.Err)
		return ae
	}
	id, err := w.s.opts.Failed.RecordFailed(checkpoint.FailedChange{
		Source: it.from.source, Position: it.from.pos, GTID: it.from.gtid,
		Target: ae.Target, Op: ae.Op, Key: op.Key, Columns: op.Columns, Values: op.Values,
		Error: ae.Err.Error(),
	})
	if err != nil {
		return errors.Join(fmt.Errorf("recording failed operation on %s: %w", ae.Target, err), ae)
	}
	w.s.failed.Add(1)
	w.log.Warn("recorded permanently failing operation", "id", id, "target", ae.Target,
		"source", ae.Source, "seq", ae.Seq, "code", errorCode(cause), "error", ae.Err)
	return nil
}

// retryAfterConflict handles an upsert that failed on a unique key: it
// deletes the colliding rows (see conflict.go) and applies the operation
// again. It reports whether that succeeded; a new error replaces cause.
func (w *worker) retryAfterConflict(ctx context.Context, it *item, q string, args []any, cause error) (bool, error) {
	if it.op.Kind != change.Upsert || errorCode(cause) != 1062 || w.s.opts.OnConflict == OnConflictFail {
		return false, nil
	}
	var deleted int64
	err := retry(ctx, w.log, "resolving unique key conflict", func() error {
		n, err := w.resolveConflict(ctx, &it.op)
		deleted += n
		if err != nil {
			return err
		}
		_, err = w.s.db.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return false, keyGuardError(&it.op, err)
	}
	w.s.conflicts.Add(deleted)
	w.log.Warn("replaced rows colliding on a unique key", "target", it.op.Target.QualifiedName(),
		"source", it.from.source, "seq", it.from.seq, "rows", deleted)
	return true, nil
}
