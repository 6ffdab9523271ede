package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// Barriers.
//
// TruncateTarget and ClearColumns reach every row of their target, so they
// cannot go to the worker of one key: a worker that has yet to apply an
// earlier upsert of the table would write it back after the truncate, and
// one that runs ahead would apply a later upsert before it. Apply runs
// them itself, as barriers: it flushes first (every worker of the table's
// lane, which takes all of its operations, has applied every operation
// queued before), applies the operation, and only then
// queues the operations after it. The workers meanwhile wait for work, and
// Apply is called in source order, so nothing overtakes the barrier.
//
// A barrier runs in chunks of sweepChunk rows, each its own transaction, so
// a large table does not make one huge transaction; a restart before the
// last chunk replays the statement from the checkpoint, and every chunk is
// idempotent. Transient errors are retried; a permanent one halts the sink
// whatever the error policy, since the operation has no row to record.

// sweepChunk is how many rows one statement of a barrier deletes or
// updates; a variable so tests can shrink it.
var sweepChunk = 10000

// applyBarrier applies the barrier op of the transaction from (see above).
func (s *Sink) applyBarrier(ctx context.Context, op *change.TargetOp, from *origin) error {
	if err := s.flushLane(ctx, s.laneOf(op.Target)); err != nil {
		return err
	}
	s.barriers.Add(1) // the workers forget their last writes (unchanged.go)
	what := fmt.Sprintf("%s of %s", barrierVerb(op.Kind), op.Target.QualifiedName())
	var rows int64
	err := retryTransient(ctx, s.log, &s.retries, what, func() error {
		n, err := s.sweep(ctx, op)
		rows += n
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = mysqlerr.Redact(fmt.Errorf("%s for a table statement of source %s at %s: %w", what, from.source, from.pos, err))
		s.setHalt(err)
		return err
	}
	if err := s.watch.appliedTable(op.Target.QualifiedName()); err != nil {
		s.setHalt(err)
		return err
	}
	s.log.Info("applied a table statement to the target", "operation", op.Kind.String(), "target", op.Target.QualifiedName(),
		"columns", op.Columns, "rows", rows, "source", from.source, "gtid", from.gtid)
	return nil
}

// barrierVerb names what op.Kind does, for errors.
func barrierVerb(k change.TargetOpKind) string {
	if k == change.TruncateTarget {
		return "deleting every row"
	}
	return "clearing columns in every row"
}

// sweep applies op chunk by chunk until a chunk reaches fewer rows than
// sweepChunk; it returns the rows reached.
func (s *Sink) sweep(ctx context.Context, op *change.TargetOp) (int64, error) {
	q, args, chunked := barrierSQL(op)
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, q, args...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if !chunked || n < int64(sweepChunk) {
			return total, nil
		}
	}
}

// barrierSQL returns the statement of op and whether to repeat it until it
// reaches fewer than sweepChunk rows: a DELETE of a chunk of rows, or an
// UPDATE setting Columns to NULL in a chunk of rows that hold another
// value. Values other than NULL (an empty array) are set in one UPDATE:
// comparing them to the column's value may never match (a JSON column
// compares with a JSON string, not the array), so chunks would not end.
func barrierSQL(op *change.TargetOp) (string, []any, bool) {
	var b strings.Builder
	if op.Kind == change.TruncateTarget {
		b.WriteString("DELETE FROM ")
		quoteTable(&b, op.Target)
		fmt.Fprintf(&b, " LIMIT %d", sweepChunk)
		return b.String(), nil, true
	}
	b.WriteString("UPDATE ")
	quoteTable(&b, op.Target)
	b.WriteString(" SET ")
	allNull := true
	args := make([]any, 0, len(op.Values))
	for i, c := range op.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteIdent(&b, c)
		b.WriteString("=?")
		args = append(args, op.Values[i])
		allNull = allNull && op.Values[i] == nil
	}
	if !allNull {
		return b.String(), args, false
	}
	b.WriteString(" WHERE ")
	for i, c := range op.Columns {
		if i > 0 {
			b.WriteString(" OR ")
		}
		quoteIdent(&b, c)
		b.WriteString(" IS NOT NULL")
	}
	fmt.Fprintf(&b, " LIMIT %d", sweepChunk)
	return b.String(), args, true
}
