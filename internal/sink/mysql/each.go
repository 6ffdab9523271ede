package mysql

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// applyEach applies items one operation per statement, in order, resolving
// each one's lookups alone. A permanently failing operation, or one whose
// lookups fail permanently, halts the sink or, under OnErrorRecord, is
// recorded and skipped.
func (w *worker) applyEach(ctx context.Context, items []item) error {
	w.last.begin(w.s.barriers.Load())
	for i := range items {
		it := &items[i]
		it.unchanged = false
		var q string
		var args []any
		err := retryTransient(ctx, w.log, &w.s.retries, "applying operation", func() error {
			if _, err := w.resolve(ctx, items[i:i+1]); err != nil {
				return err
			}
			if it.seenBefore {
				it.unchanged = true // neither read nor sent (see seen.go)
				return nil
			}
			one := batch{items: items[i : i+1]}
			q, args = one.sql(stmt{start: 0, end: 1})
			if q == "" {
				return nil
			}
			_, err := w.s.db.ExecContext(ctx, q, args...)
			return err
		})
		if err == nil {
			w.last.wrote(it)
			w.last.commit()
			if err := w.applied(items[i : i+1]); err != nil {
				return err
			}
			continue
		}
		// A collision resolved deleted another row; a failed operation
		// changed nothing, but is seldom worth remembering around.
		w.last.forget()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if q != "" { // the lookups are resolved: the target refused the statement
			err = keyGuardError(&it.op, err)
			if isCollision(&it.op, err) {
				resolved, cerr, fatal := w.collide(ctx, it, q, args, err)
				switch {
				case fatal != nil:
					w.s.setHalt(fatal)
					return fatal
				case resolved:
					if err := w.applied(items[i : i+1]); err != nil {
						return err
					}
					continue
				}
				err = cerr
			}
		}
		if err := w.fail(it, err); err != nil {
			w.s.setHalt(err)
			return err
		}
	}
	return nil
}

// fail handles an operation that failed permanently with cause. It returns
// the error that halts the sink, or nil when the failure was recorded. The
// target's message may quote row values (a duplicate key, a trigger's
// SIGNAL): logs and the returned error give its code, SQLSTATE and the
// target table instead, and only the failed-changes store, which holds
// the row anyway, keeps it whole.
func (w *worker) fail(it *item, cause error) error {
	op := &it.op
	ae := &ApplyError{
		Target: op.Target.QualifiedName(), Op: op.Kind.String(),
		Source: it.from.source, Seq: it.from.seq, GTID: it.from.gtid, Position: it.from.pos,
		Err: mysqlerr.Redact(cause),
	}
	if op.Kind == change.Reject {
		w.s.rejected.Add(ae.Target, 1)
	}
	if w.s.opts.OnError != OnErrorRecord {
		w.log.Error("halting on permanent target error", "target", ae.Target, "source", ae.Source,
			"seq", ae.Seq, "code", errorCode(cause), "error", ae.Err)
		return ae
	}
	fc := change.FailedChange{
		Source: it.from.source, Position: it.from.pos, GTID: it.from.gtid,
		Target: ae.Target, Op: ae.Op, Key: op.Key, Columns: op.Columns, Values: op.Values,
		Error: mysqlerr.Unredacted(cause), Summary: ae.Err.Error(),
	}
	var ce *conflictError
	if errors.As(cause, &ce) {
		fc.Op, fc.ConflictKey = "conflict", ce.other
	}
	id, err := w.s.opts.Failed.RecordFailed(fc)
	if err != nil {
		return errors.Join(fmt.Errorf("recording failed operation on %s: %w", ae.Target, err), ae)
	}
	w.s.failed.Add(ae.Target, 1)
	w.s.watch.add(op, id)
	w.log.Warn("recorded permanently failing operation; the failed-changes store has its full error", "id", id,
		"target", ae.Target, "op", fc.Op, "source", ae.Source, "seq", ae.Seq, "code", errorCode(cause), "error", ae.Err)
	return nil
}
