package backfill

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// DefaultRecheckKeys is how many keys one recheck chunk reads.
const DefaultRecheckKeys = 5000

// maxRecheckRedos bounds how often one recheck chunk is read again
// before the recheck gives up (a table changed over and over, a stream
// that never passes the watermarks).
const maxRecheckRedos = 20

// LastImage is the last image of a row that a window of the binlog
// showed: a delete's before image, else the after image, with the
// description it was decoded with.
type LastImage struct {
	Table *change.Table
	Row   change.Row
}

// Recheck asks for the current rows of some keys of one table, merged
// into the stream for some sinks only.
type Recheck struct {
	Schema, Table string
	// Last holds one image per row to read again; the key the table is
	// chunked by is taken from it, and when the row is gone from the
	// source it becomes the before image of the delete sent instead.
	Last []LastImage
	// Sinks names the only sinks that take the rows (change.Txn.Sinks).
	Sinks []string
	// ChunkKeys is how many keys a chunk reads (default
	// DefaultRecheckKeys).
	ChunkKeys int
}

// RecheckResult counts what a recheck merged into the stream: rows read
// (sent as change.Read), rows gone (sent as change.Delete), and rows left
// to the stream because a change of theirs came through it between the
// watermarks (the stream carries their newer image itself).
type RecheckResult struct {
	Read    int `json:"read"`
	Deleted int `json:"deleted"`
	Left    int `json:"left_to_stream"`
	Chunks  int `json:"chunks"`
	// Seq is the Seq (change.Txn) of the last transaction that carried a
	// chunk: once the pipeline has applied it and the sinks are flushed,
	// the recheck is durable. A position transaction carries a chunk
	// with GTID watermarks, and that moves no checkpoint.
	Seq uint64 `json:"-"`
}

// keyedChunk is what a recheck window carries besides its rows: the keys
// it reads, the image of each for a delete, and the sinks it is for.
type keyedChunk struct {
	keys  [][]byte
	last  []LastImage
	sinks []string
}

// Recheck reads the current rows of req's keys through watermarks, chunk
// by chunk, in the caller's goroutine, and merges each chunk into the
// stream for req.Sinks only: a row the source has is sent as a read, a
// row it no longer has as a delete of its last image, and a row that a
// change in the stream touched between the watermarks is left to that
// change (see Merger: the same argument holds for a row that is absent).
// Nothing is saved: a recheck cut short is asked for again.
//
// With GTID watermarks a chunk is read in a consistent snapshot whose
// GTID set is its low mark, one chunk at a time, taking turns with the
// backfill's chunks (Backfiller.takeTurn), and is merged at the first
// transaction that carries nothing else once the stream has passed its
// high set: a position transaction on a busy source (see
// Merger.interceptGTID).
func (b *Backfiller) Recheck(ctx context.Context, req Recheck) (RecheckResult, error) {
	var res RecheckResult
	if len(req.Last) == 0 {
		return res, nil
	}
	if req.ChunkKeys <= 0 {
		req.ChunkKeys = DefaultRecheckKeys
	}
	if err := b.EnsureWatermarkTable(ctx); err != nil {
		return res, err
	}
	plan, err := NewPlan(ctx, b.db, req.Schema, req.Table, "")
	if err != nil {
		return res, fmt.Errorf("source %s, table %s.%s: %w", b.opts.Source, req.Schema, req.Table, err)
	}
	keys, vals, last, err := keysOf(plan, req.Last)
	if err != nil {
		return res, err
	}
	// Up to readAhead chunks are in flight: the next is read while the
	// previous one waits for its high watermark. They are independent
	// (no cursor chains them), so a chunk read again simply goes last.
	type span struct{ lo, hi int }
	var todo []span
	for lo := 0; lo < len(keys); lo += req.ChunkKeys {
		todo = append(todo, span{lo, min(lo+req.ChunkKeys, len(keys))})
	}
	type inFlight struct {
		f  flight
		sp span
	}
	var inflight []inFlight
	// release gives up the source's turn (GTID watermarks) once no chunk
	// is in flight.
	release := func() {}
	defer func() {
		for _, in := range inflight {
			b.merger.cancel(in.f.w)
		}
		release()
	}()
	redos, attempt := 0, 0
	lastLog := time.Now()
	for len(todo) > 0 || len(inflight) > 0 {
		if time.Since(lastLog) >= b.opts.LogInterval {
			lastLog = time.Now()
			b.log.Info("reading rows again for a replay", "table", plan.Table.QualifiedName(), "keys", len(keys),
				"done", res.Read+res.Deleted+res.Left)
		}
		if len(todo) > 0 && len(inflight) < b.readAhead {
			sp := todo[0]
			todo = todo[1:]
			if len(inflight) == 0 {
				r, err := b.takeTurn(ctx)
				if err != nil {
					return res, err
				}
				release = r
			}
			k := &keyedChunk{keys: keys[sp.lo:sp.hi], last: last[sp.lo:sp.hi], sinks: req.Sinks}
			f, redo, err := b.startKeyed(ctx, plan, k, vals[sp.lo:sp.hi])
			if (err != nil || redo != "") && len(inflight) == 0 {
				release()
			}
			switch {
			case err != nil && retryable(err) && attempt < maxRecheckRedos && ctx.Err() == nil:
				// A lost connection, a deadlock: try the chunk again later.
				attempt++
				wait := retryBackoff.Delay(attempt)
				b.log.Warn("recheck chunk failed; retrying", "table", plan.Table.QualifiedName(), "attempt", attempt,
					"retry_in", wait, "error", mysqlerr.Redact(err))
				if err := retry.Wait(ctx, wait); err != nil {
					return res, err
				}
				todo = append(todo, sp)
				continue
			case err != nil:
				return res, mysqlerr.Redact(err)
			case redo != "":
				redo = "the table's columns changed while the chunk was read"
			}
			if redo == "" {
				attempt = 0
				inflight = append(inflight, inFlight{f, sp})
				continue
			}
			// Plan again with the table's new columns; the key must be
			// the same, or the keys of the window mean nothing.
			if redos++; redos > maxRecheckRedos {
				return res, fmt.Errorf("reading rows of %s again: gave up after reading chunks again %d times (last: %s)",
					plan.Table.QualifiedName(), maxRecheckRedos, redo)
			}
			b.log.Info("reading a recheck chunk again", "table", plan.Table.QualifiedName(), "reason", redo)
			if plan, err = b.replan(ctx, plan); err != nil {
				return res, err
			}
			todo = append(todo, sp)
			continue
		}
		in := inflight[0]
		o, err := b.await(ctx, plan, in.f)
		if err == nil {
			err = o.err
		}
		if err != nil {
			return res, err
		}
		inflight = inflight[1:]
		if len(inflight) == 0 {
			release()
		}
		if o.redo != "" {
			if redos++; redos > maxRecheckRedos {
				return res, fmt.Errorf("reading rows of %s again: gave up after reading chunks again %d times (last: %s)",
					plan.Table.QualifiedName(), maxRecheckRedos, o.redo)
			}
			b.log.Info("reading a recheck chunk again", "table", plan.Table.QualifiedName(), "reason", o.redo)
			if plan, err = b.replan(ctx, plan); err != nil {
				return res, err
			}
			todo = append(todo, in.sp)
			continue
		}
		res.Chunks++
		res.Seq = max(res.Seq, o.seq)
		redos = 0 // the bound is on reads again in a row, not over the whole recheck
		res.Read += o.kept
		res.Deleted += o.deleted
		res.Left += o.dropped
		b.metrics.rows.WithLabelValues(plan.Table.QualifiedName()).Add(float64(o.kept))
	}
	return res, nil
}

// startKeyed starts one chunk of keys: low watermark, read, high
// watermark; its outcome is awaited apart. It returns why the chunk must
// be read again instead when the table's columns changed between the
// plan and the read: a statement before the low watermark goes unseen
// by the window.
func (b *Backfiller) startKeyed(ctx context.Context, plan *Plan, k *keyedChunk, vals [][]change.Value) (flight, string, error) {
	if err := b.throttle.before(ctx); err != nil {
		return flight{}, "", err
	}
	n := b.chunk.Add(1)
	w := b.marks.expect(b.run, n, plan, nil)
	start := time.Now()
	rows, err := b.marks.read(ctx, w, func(ctx context.Context, q Querier) ([]change.Row, error) {
		return plan.ReadKeys(ctx, q, vals)
	})
	b.throttle.after(start, max(len(rows), 1))
	if err != nil && b.redescribed(ctx, plan, err) {
		// A column the query names was dropped: plan again.
		b.merger.cancel(w)
		return flight{}, "columns", nil
	}
	var now *change.Table
	if err == nil {
		now, err = b.describe(ctx, plan.Table)
	}
	if err == nil && !reflect.DeepEqual(now.Columns, plan.Table.Columns) {
		b.merger.cancel(w)
		return flight{}, "columns", nil
	}
	if err == nil {
		b.merger.deliverKeyed(w, rows, k)
		err = b.marks.high(ctx, w)
	}
	if err != nil {
		b.merger.cancel(w)
		return flight{}, "", err
	}
	return flight{w: w, n: n, handedAt: time.Now()}, "", nil
}

// replan describes the table of plan again, for a chunk read again; the
// key must not have changed.
func (b *Backfiller) replan(ctx context.Context, plan *Plan) (*Plan, error) {
	p, err := NewPlan(ctx, b.db, plan.Table.Schema, plan.Table.Name, "")
	if err != nil {
		return nil, fmt.Errorf("source %s, table %s: %w", b.opts.Source, plan.Table.QualifiedName(), err)
	}
	if !slices.Equal(p.KeyNames(), plan.KeyNames()) {
		return nil, fmt.Errorf("source %s, table %s: its key changed from (%s) to (%s) during the replay; run it again",
			b.opts.Source, plan.Table.QualifiedName(), strings.Join(plan.KeyNames(), ", "), strings.Join(p.KeyNames(), ", "))
	}
	return p, nil
}

// keysOf returns the encoded key, the key values and the image of each
// distinct row of last (the last image of a key wins), in first-seen
// order.
func keysOf(plan *Plan, last []LastImage) ([][]byte, [][]change.Value, []LastImage, error) {
	names := plan.KeyNames()
	at := map[string]int{}
	var keys [][]byte
	var vals [][]change.Value
	var imgs []LastImage
	for _, img := range last {
		v := make([]change.Value, len(names))
		for i, name := range names {
			col := img.Table.ColumnIndex(name)
			if col < 0 || col >= len(img.Row) {
				return nil, nil, nil, fmt.Errorf("table %s: a row image of the window lacks key column %s (the table's "+
					"key changed since?)", plan.Table.QualifiedName(), name)
			}
			v[i] = img.Row[col]
		}
		key := appendKey(nil, v)
		if i, ok := at[string(key)]; ok {
			imgs[i] = img
			continue
		}
		at[string(key)] = len(keys)
		keys, vals, imgs = append(keys, key), append(vals, v), append(imgs, img)
	}
	return keys, vals, imgs, nil
}

// KeysSQL returns the query that reads the rows with the given key
// values, and its arguments: key IN (...) for a one-column key, else
// an OR of one equality per row, which the server reads as ranges.
func (p *Plan) KeysSQL(keys [][]change.Value) (string, []any) {
	var b strings.Builder
	var args []any
	p.selectFrom(&b)
	b.WriteString(" WHERE ")
	if len(p.Key) == 1 {
		b.WriteString(quote(p.Table.Columns[p.Key[0]].Name) + " IN (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			text, arg := sqlparam.Placeholder(k[0])
			b.WriteString(text)
			if arg != nil {
				args = append(args, arg)
			}
		}
		b.WriteString(")")
		return b.String(), args
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(")
		for j, col := range p.Key {
			if j > 0 {
				b.WriteString(" AND ")
			}
			text, arg := sqlparam.Placeholder(k[j])
			b.WriteString(quote(p.Table.Columns[col].Name) + " = " + text)
			if arg != nil {
				args = append(args, arg)
			}
		}
		b.WriteString(")")
	}
	return b.String(), args
}

// ReadKeys reads the rows with the given key values.
func (p *Plan) ReadKeys(ctx context.Context, db Querier, keys [][]change.Value) ([]change.Row, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	query, args := p.KeysSQL(keys)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading rows of %s by key: %w", p.Table.QualifiedName(), err)
	}
	out, err := p.rows.Read(rows)
	if err != nil {
		return nil, fmt.Errorf("reading rows of %s by key: %w", p.Table.QualifiedName(), err)
	}
	return out, nil
}

// deliverKeyed hands a recheck window its rows and keys, before its high
// watermark is written.
func (m *Merger) deliverKeyed(w *window, rows []change.Row, k *keyedChunk) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.rows, w.keyed, w.delivered = rows, k, true
}

// closeKeyed ends a recheck window at its high watermark in txn: every
// key the stream did not touch between the watermarks is sent as the row
// read, or as a delete of its last image when the read found none, and
// txn is addressed to the window's sinks. That is sound only when txn
// carries nothing else (pure): the other sinks get txn without them, so
// anything else in it would be lost to them; the watermark is written in
// a transaction of its own, so this holds but for the unforeseen, which
// reads the chunk again.
func (m *Merger) closeKeyed(w *window, txn *change.Txn, pure bool) []change.RowChange {
	redo := w.redo
	switch {
	case redo != "":
	case !w.open:
		redo = "the high watermark came through the stream before the low one"
	case !w.delivered:
		redo = "the high watermark came through the stream before the chunk was read"
	case !txn.Last:
		redo = "the high watermark came through the stream inside a larger transaction"
	case !pure || txn.Sinks != nil:
		redo = "the high watermark shared its transaction with other changes"
	}
	if redo != "" {
		w.result <- outcome{redo: redo}
		return nil
	}
	found := make(map[string]change.Row, len(w.rows))
	var key []byte
	for _, row := range w.rows {
		key = appendKey(key[:0], w.plan.KeyOf(row))
		found[string(key)] = row
	}
	var out []change.RowChange
	o := outcome{}
	for i, k := range w.keyed.keys {
		if _, touched := w.changed[string(k)]; touched {
			o.dropped++
			continue
		}
		if row, ok := found[string(k)]; ok {
			out = append(out, change.RowChange{Table: w.plan.Table, Op: change.Read, After: row})
			o.kept++
			continue
		}
		img := w.keyed.last[i]
		out = append(out, change.RowChange{Table: img.Table, Op: change.Delete, Before: img.Row})
		o.deleted++
	}
	txn.Sinks = w.keyed.sinks
	o.seq = txn.Seq
	w.rows = nil
	w.result <- o
	return out
}

// onlyWatermarks reports whether every change of txn is a watermark row.
func onlyWatermarks(txn *change.Txn) bool {
	for i := range txn.Changes {
		if t := txn.Changes[i].Table; t == nil || !IsWatermark(t.Schema, t.Name) {
			return false
		}
	}
	return true
}
