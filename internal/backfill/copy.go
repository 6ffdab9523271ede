package backfill

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

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

// readAhead is how many chunks of one table may be in flight at once with
// watermark rows: the next chunk is read while the previous one waits for
// its high watermark to pass the Merger. With GTID watermarks it is 1.
const readAhead = 2

// flight is a chunk whose high watermark is written and whose outcome is
// awaited.
type flight struct {
	w        *window
	n        uint64
	next     checkpoint.Cursor // the cursor after it, before merging
	handedAt time.Time
}

// copyTable copies one table chunk by chunk from its cursor until it is
// done, the table is requested again (gen changes), or an error that
// retrying cannot cure. Up to readAhead chunks are in flight, in key
// order, each read after the previous one's high watermark is written.
// Their watermark windows never overlap, and the Merger drops a chunk
// whose predecessor was not merged, so the cursor that a merged chunk
// carries never passes a chunk that was not.
func (b *Backfiller) copyTable(ctx context.Context, c checkpoint.Cursor, gen uint64) error {
	name := c.QualifiedName()
	var plan *Plan
	attempt := 0
	lastLog := time.Now()
	size := newChunkSizer(b.opts.ChunkRows, b.opts.ChunkRowsMax, b.opts.ChunkTime)
	size.limit(b.opts.MaxRowsPerSecond)
	var inflight []flight
	// release gives up the source's turn (GTID watermarks) once no chunk
	// of the table is in flight.
	release := func() {}
	drop := func() {
		for _, f := range inflight {
			b.merger.cancel(f.w)
		}
		inflight = nil
		release()
	}
	defer drop()
	for {
		cur, ok := b.current(name, gen)
		if !ok {
			return nil
		}
		var prev *window
		if len(inflight) > 0 {
			last := inflight[len(inflight)-1]
			prev, cur = last.w, last.next // the chunk after the last one read
		}
		if len(inflight) < b.readAhead && !cur.Done {
			if plan == nil {
				p, err := NewPlan(ctx, b.db, cur.Schema, cur.Table, cur.Where)
				if err == nil && !slices.Equal(p.KeyNames(), cur.Key) {
					// The key changed since the cursor was saved: its
					// values mean nothing under the new one, so start over.
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
			if len(inflight) == 0 {
				r, err := b.takeTurn(ctx)
				if err != nil {
					return err
				}
				release = r
			}
			f, redo, err := b.startChunk(ctx, plan, cur, size, prev)
			if err != nil && b.redescribed(ctx, plan, err) {
				// The table changed under the plan (a column the query
				// names was dropped): plan again rather than fail.
				redo, err = "the table's columns changed: "+mysqlerr.Redact(err).Error(), nil
			}
			if err != nil {
				drop()
				if err := b.pause(ctx, name, gen, &attempt, err); err != nil {
					return err
				}
				plan = nil
				continue
			}
			if redo != "" {
				drop()
				b.log.Info("reading a chunk again", "table", name, "chunk", cur.Chunks+1, "reason", redo)
				plan = nil
				continue
			}
			inflight = append(inflight, f)
			continue
		}
		if len(inflight) == 0 {
			return nil // done
		}
		first := inflight[0]
		o, err := b.await(ctx, plan, first)
		if err != nil {
			return err
		}
		inflight = inflight[1:]
		if len(inflight) == 0 {
			release()
		}
		if o.err != nil {
			// The Merger could not merge the chunk (GTID watermarks the
			// stream cannot place).
			drop()
			if err := b.pause(ctx, name, gen, &attempt, o.err); err != nil {
				return err
			}
			plan = nil
			continue
		}
		attempt = 0
		if o.redo != "" {
			// The chunks read after it are void: the Merger drops them.
			drop()
			b.log.Info("reading a chunk again", "table", name, "chunk", first.next.Chunks, "reason", o.redo)
			plan = nil
			continue
		}
		b.advance(o.cursor, gen)
		b.metrics.chunks.WithLabelValues(name).Inc()
		b.metrics.rows.WithLabelValues(name).Add(float64(o.kept))
		if o.cursor.Done {
			b.log.Info("backfilled table", "table", name, "rows", o.cursor.Rows, "chunks", o.cursor.Chunks,
				"elapsed", time.Since(b.startedAt(name)).Round(time.Millisecond))
			return nil
		}
		if time.Since(lastLog) >= b.opts.LogInterval {
			lastLog = time.Now()
			b.log.Info("backfill progress", "table", name, "rows", o.cursor.Rows, "chunks", o.cursor.Chunks,
				"chunk_rows", size.rows)
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

// startChunk starts the chunk after cur, of the size size holds: once the
// throttle lets it, low watermark, read, high watermark. prev is the
// table's chunk in flight before it, if any. It returns why the chunk
// must be read again instead, when the table changed during the read.
// The read's time adapts the size.
func (b *Backfiller) startChunk(ctx context.Context, plan *Plan, cur checkpoint.Cursor, size *chunkSizer,
	prev *window) (flight, string, error) {
	if err := b.throttle.before(ctx); err != nil {
		return flight{}, "", err
	}
	n := b.chunk.Add(1)
	w := b.marks.expect(b.run, n, plan, prev)
	handed := false
	defer func() {
		if !handed {
			b.merger.cancel(w)
		}
	}()
	limit := size.rows
	start := time.Now()
	rows, err := b.marks.read(ctx, w, func(ctx context.Context, q Querier) ([]change.Row, error) {
		start = time.Now() // the read alone, not a wait for a replica or a snapshot
		return plan.Read(ctx, q, cur.After, limit)
	})
	if err != nil {
		return flight{}, "", err
	}
	size.observe(len(rows), time.Since(start))
	b.throttle.after(start, len(rows))
	// A statement that changed the table after it was described but
	// before the read would go unnoticed between the watermarks.
	now, err := b.describe(ctx, plan.Table)
	if err != nil {
		return flight{}, "", err
	}
	if !reflect.DeepEqual(now.Columns, plan.Table.Columns) {
		return flight{}, "the table's columns changed while the chunk was read", nil
	}
	next := cur
	next.Chunks++
	next.Done = len(rows) < limit
	if len(rows) > 0 {
		next.After = plan.KeyOf(rows[len(rows)-1])
	}
	b.merger.deliver(w, rows, next)
	if err := b.marks.high(ctx, w); err != nil {
		return flight{}, "", err
	}
	handed = true
	return flight{w: w, n: n, next: next, handedAt: time.Now()}, "", nil
}

// await waits for the Merger's outcome of a chunk in flight.
func (b *Backfiller) await(ctx context.Context, plan *Plan, f flight) (outcome, error) {
	t := time.NewTicker(waitLog)
	defer t.Stop()
	for {
		select {
		case o := <-f.w.result:
			return o, nil
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		case <-t.C:
			b.log.Warn("waiting for a chunk's high watermark to come through the stream", "table",
				plan.Table.QualifiedName(), "chunk", f.n, "waited", time.Since(f.handedAt).Round(time.Second))
		}
	}
}

// redescribed reports whether the table's columns are no longer those of
// plan, after a read of it failed with readErr: an unknown column means
// they changed under the read even when a describe finds them back (a
// column dropped and added again meanwhile).
func (b *Backfiller) redescribed(ctx context.Context, plan *Plan, readErr error) bool {
	if ctx.Err() != nil {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(readErr, &me) && me.Number == gomysql.ER_BAD_FIELD_ERROR {
		return true
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
