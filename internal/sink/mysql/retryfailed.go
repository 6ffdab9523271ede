package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// RetryResult says what became of one failed operation applied again.
type RetryResult struct {
	ID uint64
	// Applied: the target took the operation; its record can go.
	Applied bool
	// Refused, when set, says why the operation was not sent: a later
	// operation on its row was applied (superseded), or its record cannot
	// be applied again as it is (an update, whose conditions it lacks; a
	// reject).
	Refused string
	// Error is the target's error when it refuses the operation again,
	// whole; Summary the same without the messages that may quote row
	// values.
	Error, Summary string
	// err ends Retry: the sink stopped, or ctx ended.
	err error
}

// retryReq is a retried operation's place in a worker's queue.
type retryReq struct {
	id   uint64
	row  string
	done chan RetryResult
}

// Refusals of Retry.
const (
	RefusedSuperseded = "superseded: a later change of the same row was applied after it failed, and applying " +
		"this one again would overwrite it (resync the row from its source, or clear the record)"
	refusedUpdate = "an update is recorded without the conditions it was applied under, so applying it again " +
		"could write a row it must not (resync the row from its source, or clear the record)"
	refusedKind = "%s operations were never sent to the target and are not applied again (clear the record)"
)

// Retry applies the recorded failed operations fcs again, one after the
// other in the order given (callers give them in the order they were
// recorded), and says what became of each. table returns the target table
// (with its key) of a "schema.table" name, or nil when no mapping writes
// it.
//
// An upsert (a recorded conflict is one) and a delete are applied as
// recorded. Each goes through the queue of the worker that applies the
// live operations of its row, after every operation queued before it, so
// a later change of the row is either applied before it, and then it is
// refused as superseded (see watch.go), or after it, and then wins. An
// update is refused: its record lacks the conditions it was applied
// under.
//
// Retry returns an error, with the results so far, when the sink stops or
// ctx ends.
func (s *Sink) Retry(ctx context.Context, fcs []change.FailedChange, table func(string) *change.TargetTable) ([]RetryResult, error) {
	out := make([]RetryResult, 0, len(fcs))
	for _, fc := range fcs {
		if err := s.haltErr(); err != nil {
			return out, err
		}
		r := RetryResult{ID: fc.ID}
		op, refused := retryOp(fc, table)
		switch {
		case refused != "":
			r.Refused = refused
		case !fc.Superseded.IsZero():
			r.Refused = RefusedSuperseded
		default:
			var err error
			if r, err = s.retry(ctx, fc, op); err != nil {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// retryOp builds the operation of fc, or says why it is not applied again.
func retryOp(fc change.FailedChange, table func(string) *change.TargetTable) (change.TargetOp, string) {
	if strings.HasPrefix(fc.Target, "kinesis:") {
		return change.TargetOp{}, "a record of a kinesis sink, which is not applied again here (clear it once handled)"
	}
	t := table(fc.Target)
	if t == nil {
		return change.TargetOp{}, fmt.Sprintf("no loaded mapping writes %s", fc.Target)
	}
	op := change.TargetOp{Target: t, Key: fc.Key, Change: -1}
	switch fc.Op {
	case "upsert", "conflict":
		op.Kind, op.Columns, op.Values = change.Upsert, fc.Columns, fc.Values
	case "delete":
		op.Kind = change.DeleteRow
	case "update":
		return op, refusedUpdate
	default:
		return op, fmt.Sprintf(refusedKind, fc.Op)
	}
	if err := checkOp(&op); err != nil {
		return op, fmt.Sprintf("the record does not fit %s as mapped now: %v", fc.Target, err)
	}
	return op, ""
}

// retry queues op, fc's, on its row's worker and waits for its result.
func (s *Sink) retry(ctx context.Context, fc change.FailedChange, op change.TargetOp) (RetryResult, error) {
	w, err := s.route(ctx, &op)
	if errors.Is(err, errUnfoldable) {
		// Its table is not moved to one worker from here, beside Apply;
		// the retried change meets the stream's writes to its row in
		// either order, as a change retried a moment later would.
		l := s.laneOf(op.Target)
		w, err = l.first+spread(rowHash(&op, false, routeBlock), l.n), nil
	}
	if err != nil {
		return RetryResult{}, err
	}
	req := &retryReq{id: fc.ID, row: rowID(fc.Target, fc.Key), done: make(chan RetryResult, 1)}
	from := &origin{source: fc.Source, gtid: fc.GTID, pos: fc.Position, begin: fc.Position}
	select {
	case s.workers[w].in <- []item{{op: op, from: from, retry: req}}:
	case <-ctx.Done():
		return RetryResult{}, ctx.Err()
	case <-s.closed:
		return RetryResult{}, ErrClosed
	case <-s.stopped:
		return RetryResult{}, ErrStopped
	}
	select {
	case r := <-req.done:
		r.ID = fc.ID
		return r, r.err
	case <-ctx.Done():
		return RetryResult{}, ctx.Err()
	case <-s.closed:
		return RetryResult{}, ErrClosed
	case <-s.stopped:
		return RetryResult{}, ErrStopped
	}
}

// retryOne applies the retried operation it alone, after the batch
// before it, and answers its request.
func (w *worker) retryOne(ctx context.Context, it *item) {
	req := it.retry
	if err := w.s.haltErr(); err != nil {
		req.done <- RetryResult{err: err}
		return
	}
	if w.s.watch.superseded(req.row, req.id) {
		req.done <- RetryResult{Refused: RefusedSuperseded}
		return
	}
	w.last.forget() // the row's write may reach it after later ones
	one := batch{items: []item{*it}}
	var q string
	err := retryTransient(ctx, w.log, &w.s.retries, "applying a failed operation again", func() error {
		var args []any
		q, args = one.sql(stmt{start: 0, end: 1})
		if q == "" {
			return nil
		}
		_, err := w.s.db.ExecContext(ctx, q, args...)
		return err
	})
	switch {
	case err == nil:
		if err := w.s.watch.retried(req.row, req.id); err != nil {
			w.s.setHalt(err)
			req.done <- RetryResult{err: err}
			return
		}
		w.log.Info("applied a failed operation again", "id", req.id, "target", it.op.Target.QualifiedName(), "op", it.op.Kind.String())
		req.done <- RetryResult{Applied: true}
	case ctx.Err() != nil:
		req.done <- RetryResult{err: ctx.Err()}
	default:
		err = keyGuardError(&it.op, err)
		summary := mysqlerr.Redact(err).Error()
		w.log.Warn("a failed operation fails again", "id", req.id, "target", it.op.Target.QualifiedName(),
			"op", it.op.Kind.String(), "code", errorCode(err), "error", summary)
		req.done <- RetryResult{Error: mysqlerr.Unredacted(err), Summary: summary}
	}
}
