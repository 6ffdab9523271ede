package mysql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// Lookups.
//
// An operation may carry Pending lookups: columns read from a source right
// before the operation is written (see change.TargetOp). The worker reads
// them with Options.Resolver inside the retried apply of a run, in one
// call for every operation of the run, so the Resolver can read many keys
// with one query; after a permanent error, the operations still pending
// are read one by one, each with its own statement. Resolution appends
// the lookups' columns, so operations share a statement only when they
// run the same lookups in the same order (see sameRun): once resolved, a
// statement's operations again have one column list.

// Errors of operations that are never sent to the target.
var (
	errRederive = errors.New("rederive operation reached the sink: it must be expanded into updates before")
	errRejected = errors.New("operation rejected by its mapping")
)

// resolve completes the operations of items that still have pending
// lookups with one Resolver call and reports how many it completed. A
// failed call changed nothing and is retried as it is when its error is
// transient (see lookupTransient); operations resolved by an earlier
// attempt are not read again. An UpdateRow whose read the worker's last
// write to its row already saw is marked seenBefore and not read (see
// seen.go); the caller must have forgotten the writes of failed attempts
// (lastWrites.begin) before.
func (w *worker) resolve(ctx context.Context, items []item) (int, error) {
	var ops []*change.TargetOp
	var read []int // the indexes in items of ops
	for i := range items {
		op := &items[i].op
		items[i].seenBefore = false
		if len(op.Pending) == 0 {
			continue
		}
		if w.last.seenBefore(&items[i]) {
			items[i].seenBefore = true
			continue
		}
		items[i].pending = op.Pending
		read = append(read, i)
		// The Resolver appends: clip, so it never writes into an array
		// shared with other operations (a mapping gives every operation of
		// one contributor the same column list).
		op.Columns, op.Values = slices.Clip(op.Columns), slices.Clip(op.Values)
		items[i].looked = len(op.Columns) + 1
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return 0, nil
	}
	if w.s.opts.Resolver == nil {
		return 0, permanent(fmt.Errorf("resolving lookups of %s: operation has %d pending lookups but the sink has no Resolver",
			ops[0].Target.QualifiedName(), len(ops[0].Pending)))
	}
	var seen *gtid.Seen
	var err error
	start := time.Now()
	if sr, ok := w.s.opts.Resolver.(seenResolver); ok && len(ops) >= seenMinOps {
		seen, err = sr.ResolveSeen(ctx, ops)
	} else {
		err = w.s.opts.Resolver.Resolve(ctx, ops)
	}
	w.s.lookupSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return 0, &classified{
			err:       fmt.Errorf("resolving lookups of %d operations: %w", len(ops), err),
			transient: lookupTransient(ctx, err),
		}
	}
	for _, i := range read {
		items[i].seen = seen
	}
	for _, op := range ops {
		if len(op.Pending) > 0 || len(op.Columns) != len(op.Values) {
			return 0, permanent(fmt.Errorf("resolving lookups of %s: resolver left %d lookups pending and %d columns for %d values",
				op.Target.QualifiedName(), len(op.Pending), len(op.Columns), len(op.Values)))
		}
	}
	return len(ops), nil
}

// neverSentError returns why op, a Reject or a Rederive, fails.
func neverSentError(op *change.TargetOp) error {
	switch {
	case op.Kind == change.Rederive:
		return errRederive
	case op.Err != nil:
		return op.Err
	}
	return errRejected
}
