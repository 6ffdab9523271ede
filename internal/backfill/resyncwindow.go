package backfill

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// resyncKeys reads the keys in batches of the chunk size, one window each.
func (b *Backfiller) resyncKeys(ctx context.Context, plan *Plan, job ResyncJob, res *ResyncResult) error {
	size := newChunkSizer(b.opts.ChunkRows, b.opts.ChunkRowsMax, b.opts.ChunkTime)
	size.limit(b.opts.MaxRowsPerSecond)
	keys := job.Keys
	for len(keys) > 0 {
		n := min(size.rows, len(keys))
		batch := keys[:n]
		var deletes []change.RowChange
		counted := *res
		o, err := b.resyncWindow(ctx, plan, size, func(ctx context.Context, q Querier) ([]change.Row, error) {
			rows, err := plan.ReadKeys(ctx, q, batch)
			if err == nil {
				// The absent keys are counted afresh each time the
				// window is read.
				*res = counted
				deletes = b.countAbsent(plan, job, plan.absent(batch, rows), res)
			}
			return rows, err
		}, func() []change.RowChange { return deletes })
		if err != nil {
			return err
		}
		res.add(o)
		keys = keys[n:]
	}
	return nil
}

// resyncWhere reads the predicate's rows in key chunks, one window each.
func (b *Backfiller) resyncWhere(ctx context.Context, plan *Plan, keep func(*change.Table, change.Row) bool, res *ResyncResult) error {
	size := newChunkSizer(b.opts.ChunkRows, b.opts.ChunkRowsMax, b.opts.ChunkTime)
	size.limit(b.opts.MaxRowsPerSecond)
	var after []change.Value
	for {
		limit := size.rows
		var last []change.Value
		var got int
		o, err := b.resyncWindow(ctx, plan, size, func(ctx context.Context, q Querier) ([]change.Row, error) {
			rows, err := plan.Read(ctx, q, after, limit)
			got, last = len(rows), nil
			if len(rows) > 0 {
				last = plan.KeyOf(rows[len(rows)-1])
			}
			if keep != nil {
				rows = slices.DeleteFunc(rows, func(r change.Row) bool { return !keep(plan.Table, r) })
			}
			return rows, err
		}, nil)
		if err != nil {
			return err
		}
		res.add(o)
		if got < limit {
			return nil
		}
		after = last
	}
}

// add counts a merged window.
func (r *ResyncResult) add(o outcome) {
	r.Chunks++
	r.Read += o.kept + o.dropped
	r.Copied += o.kept
	r.Carried += o.dropped
	r.Deleted += o.deleted
}

// resyncWindow reads one window with read, hands its rows and the
// deletes deletes returns (nil: none) to the Merger, and waits until the
// window is merged; it reads the window again when the Merger says so,
// and pauses after errors that may pass, as a backfill chunk does.
func (b *Backfiller) resyncWindow(ctx context.Context, plan *Plan, size *chunkSizer,
	read func(context.Context, Querier) ([]change.Row, error), deletes func() []change.RowChange) (outcome, error) {
	name := plan.Table.QualifiedName()
	attempt, redos := 0, 0
	for {
		o, redo, err := b.resyncOnce(ctx, plan, size, read, deletes)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return outcome{}, ctx.Err()
			}
			if !retryable(err) || attempt >= 5 {
				return outcome{}, err
			}
			attempt++
			wait := retryBackoff.Delay(attempt)
			b.log.Warn("resync window failed; retrying", "table", name, "attempt", attempt, "retry_in", wait,
				"error", mysqlerr.Redact(err))
			if err := retry.Wait(ctx, wait); err != nil {
				return outcome{}, err
			}
		case redo != "":
			b.log.Info("reading a resync window again", "table", name, "reason", redo)
			redos++
			if redo == redoColumns || redos > maxRedos {
				return outcome{}, fmt.Errorf("reading a window of %s again %d times, last because %s: run the resync again",
					name, redos, redo)
			}
		default:
			return o, nil
		}
	}
}

// maxRedos bounds the times one window is read again before the resync
// gives up (a window keeps being voided only while the table keeps
// changing under it).
const maxRedos = 10

// redoColumns is the redo of a window whose table changed under the plan.
const redoColumns = "the table's columns changed while the chunk was read"

// resyncOnce is one attempt at a window: throttle, low watermark, read,
// high watermark, merge.
func (b *Backfiller) resyncOnce(ctx context.Context, plan *Plan, size *chunkSizer,
	read func(context.Context, Querier) ([]change.Row, error), deletes func() []change.RowChange) (outcome, string, error) {
	if err := b.throttle.before(ctx); err != nil {
		return outcome{}, "", err
	}
	release, err := b.takeTurn(ctx)
	if err != nil {
		return outcome{}, "", err
	}
	defer release()
	n := b.chunk.Add(1)
	w := b.marks.expect(b.run, n, plan, nil)
	b.merger.markResync(w)
	handed := false
	defer func() {
		if !handed {
			b.merger.cancel(w)
		}
	}()
	start := time.Now()
	rows, err := b.marks.read(ctx, w, func(ctx context.Context, q Querier) ([]change.Row, error) {
		start = time.Now()
		return read(ctx, q)
	})
	if err != nil {
		return outcome{}, "", err
	}
	size.observe(len(rows), time.Since(start))
	b.throttle.after(start, max(len(rows), 1))
	now, err := b.describe(ctx, plan.Table)
	if err != nil {
		return outcome{}, "", err
	}
	if !reflect.DeepEqual(now.Columns, plan.Table.Columns) {
		return outcome{}, redoColumns, nil
	}
	var dels []change.RowChange
	if deletes != nil {
		dels = deletes()
	}
	b.merger.deliverResync(w, rows, dels)
	if err := b.marks.high(ctx, w); err != nil {
		return outcome{}, "", err
	}
	handed = true
	o, err := b.await(ctx, plan, flight{w: w, n: n, handedAt: time.Now()})
	if err != nil {
		b.merger.cancel(w)
		return outcome{}, "", err
	}
	if o.err != nil {
		return outcome{}, "", o.err
	}
	return o, o.redo, nil
}
