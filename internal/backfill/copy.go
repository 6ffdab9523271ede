package backfill

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// retryBackoff is the pause after a chunk failed with an error that may
// pass: up to 100 ms doubled per failed attempt, capped at 30 s.
var retryBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second}

// waitLog is how long a chunk waits for its high watermark before saying
// so: the stream may be far behind, or not running.
const waitLog = 30 * time.Second

// copyTable copies one table chunk by chunk from its cursor until it is
// done, the table is requested again (gen changes), or an error that
// retrying cannot cure.
func (b *Backfiller) copyTable(ctx context.Context, c checkpoint.Cursor, gen uint64) error {
	name := c.QualifiedName()
	var plan *Plan
	attempt := 0
	lastLog := time.Now()
	for {
		cur, ok := b.current(name, gen)
		if !ok || cur.Done {
			return nil
		}
		if plan == nil {
			p, err := NewPlan(ctx, b.db, cur.Schema, cur.Table, cur.Where)
			if err == nil && !slices.Equal(p.KeyNames(), cur.Key) {
				// The key changed since the cursor was saved: its values
				// mean nothing under the new one, so start over.
				b.log.Warn("the table's key changed; backfilling it from the start", "table", name,
					"was", cur.Key, "now", p.KeyNames())
				cur.After, cur.Key = nil, p.KeyNames()
				b.advance(cur, gen)
			}
			if err != nil {
				if err := b.pause(ctx, name, gen, &attempt, err); err != nil {
					return err
				}
				continue
			}
			plan = p
		}
		o, err := b.chunkOnce(ctx, plan, cur)
		if err != nil && b.redescribed(ctx, plan) {
			// The table changed under the plan (a column the query
			// names was dropped): plan again rather than fail.
			o, err = outcome{redo: "the table's columns changed: " + mysqlerr.Redact(err).Error()}, nil
		}
		if err != nil {
			if err := b.pause(ctx, name, gen, &attempt, err); err != nil {
				return err
			}
			plan = nil
			continue
		}
		attempt = 0
		if o.redo != "" {
			b.log.Info("reading a chunk again", "table", name, "chunk", cur.Chunks+1, "reason", o.redo)
			plan = nil
			continue
		}
		b.advance(o.cursor, gen)
		if o.cursor.Done {
			b.log.Info("backfilled table", "table", name, "rows", o.cursor.Rows, "chunks", o.cursor.Chunks,
				"elapsed", time.Since(b.startedAt(name)).Round(time.Millisecond))
			return nil
		}
		if time.Since(lastLog) >= b.opts.LogInterval {
			lastLog = time.Now()
			b.log.Info("backfill progress", "table", name, "rows", o.cursor.Rows, "chunks", o.cursor.Chunks)
		}
	}
}

// pause waits before the next attempt after err, or returns err when
// retrying cannot cure it.
func (b *Backfiller) pause(ctx context.Context, name string, gen uint64, attempt *int, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !retryable(err) {
		return mysqlerr.Redact(err)
	}
	*attempt++
	err = mysqlerr.Redact(err)
	b.failed(name, gen, err)
	wait := retryBackoff.Delay(*attempt)
	b.log.Warn("backfill chunk failed; retrying", "table", name, "attempt", *attempt, "retry_in", wait, "error", err)
	return retry.Wait(ctx, wait)
}

// retryable reports whether an error of a chunk may pass: a lost
// connection, a timeout, a transient server error. A missing table, a
// table without a usable key, a predicate the server refuses or a
// privilege the source user lacks need an operator.
func retryable(err error) bool {
	switch {
	case errors.Is(err, ErrNoKey), errors.Is(err, ErrBadWhere), errors.Is(err, decode.ErrNoTable), errors.Is(err, ErrNoGTIDs):
		return false
	case mysqlerr.ConnectionLost(err), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	if transient, known := mysqlerr.TransientCode(err); known {
		return transient
	}
	return true
}

// chunkOnce copies the chunk after cur: low watermark, read, high
// watermark, then waits for the merger's outcome.
func (b *Backfiller) chunkOnce(ctx context.Context, plan *Plan, cur checkpoint.Cursor) (outcome, error) {
	b.chunk++
	n := b.chunk
	w := b.marks.expect(b.run, n, plan)
	handed := false
	defer func() {
		if !handed {
			b.merger.cancel(w)
		}
	}()
	rows, err := b.marks.read(ctx, w, func(ctx context.Context, q Querier) ([]change.Row, error) {
		return plan.Read(ctx, q, cur.After, b.opts.ChunkRows)
	})
	if err != nil {
		return outcome{}, err
	}
	// A statement that changed the table after it was described but
	// before the read would go unnoticed between the watermarks.
	now, err := b.describe(ctx, plan.Table)
	if err != nil {
		return outcome{}, err
	}
	if !reflect.DeepEqual(now.Columns, plan.Table.Columns) {
		return outcome{redo: "the table's columns changed while the chunk was read"}, nil
	}
	next := cur
	next.Chunks++
	next.Done = len(rows) < b.opts.ChunkRows
	if len(rows) > 0 {
		next.After = plan.KeyOf(rows[len(rows)-1])
	}
	b.merger.deliver(w, rows, next)
	if err := b.marks.high(ctx, w); err != nil {
		return outcome{}, err
	}
	handed = true
	t := time.NewTicker(waitLog)
	defer t.Stop()
	start := time.Now()
	for {
		select {
		case o := <-w.result:
			return o, o.err
		case <-ctx.Done():
			b.merger.cancel(w)
			return outcome{}, ctx.Err()
		case <-t.C:
			b.log.Warn("waiting for a chunk's high watermark to come through the stream", "table",
				plan.Table.QualifiedName(), "chunk", n, "waited", time.Since(start).Round(time.Second))
		}
	}
}

// redescribed reports whether the table's columns are no longer those of
// plan.
func (b *Backfiller) redescribed(ctx context.Context, plan *Plan) bool {
	if ctx.Err() != nil {
		return false
	}
	now, err := b.describe(ctx, plan.Table)
	return err == nil && !reflect.DeepEqual(now.Columns, plan.Table.Columns)
}

// startedAt returns when this run began copying the table.
func (b *Backfiller) startedAt(name string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if j := b.mu.jobs[name]; j != nil && !j.started.IsZero() {
		return j.started
	}
	return time.Now()
}
