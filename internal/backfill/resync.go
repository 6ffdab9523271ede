package backfill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// ResyncJob is a repair of some rows of one table: they are read again
// through watermark windows, as a backfill reads its chunks, so the
// copies take their place in the source's stream; in Keys mode the keys
// the source no longer has are deleted there too.
type ResyncJob struct {
	Schema, Table string
	// Where restricts the rows read, as a backfill's predicate does; the
	// rows are read in key chunks. Exactly one of Where and Keys is set.
	Where string
	// KeyColumns names the columns Keys are values of (the columns the
	// target key copies), Keys the values, typed as the columns decode.
	KeyColumns []string
	Keys       [][]change.Value
	// CanDelete says whether the delete of a row with the before image
	// before (only the key columns held, omitted listing the others) is
	// one the stream can carry: nil when it is, else why not. Keys
	// absent from the source are deleted only where it says so.
	CanDelete func(t *change.Table, before change.Row, omitted []int) error
	// Keep, when set, hands on only the rows it keeps: with no Keys, the
	// table is read in key chunks (under Where, if set) and Keep picks
	// the rows (the fallback for keys that cannot be read by key).
	Keep func(t *change.Table, row change.Row) bool
	// DryRun reads the keys (Keys mode) or estimates the rows (Where
	// mode) without watermarks, and hands nothing on.
	DryRun bool
}

// ResyncResult is what a resync of one table did, or would do.
type ResyncResult struct {
	Source string   `json:"source"`
	Table  string   `json:"table"`
	Key    []string `json:"key"`
	Where  string   `json:"where,omitempty"`
	// Keys is how many keys were asked for; Estimate the rows a Where
	// resync would read (dry run).
	Keys     int    `json:"keys,omitempty"`
	Estimate uint64 `json:"estimate,omitempty"`
	// Chunks counts the windows merged; Read the rows read; Copied those
	// handed on, Carried those the stream carried itself (changed between
	// the watermarks).
	Chunks  int `json:"chunks"`
	Read    int `json:"read"`
	Copied  int `json:"copied"`
	Carried int `json:"carried"`
	// Absent counts the keys of the table's entry the source does not
	// have (keys another driving entry owns are left out); Deleted those
	// whose deletes were handed on, Undeletable those that cannot be (Why
	// says why, for the first).
	Absent      int    `json:"absent"`
	Deleted     int    `json:"deleted"`
	Undeletable int    `json:"undeletable,omitempty"`
	Why         string `json:"why,omitempty"`
	// Scanned says the whole table (under Where) was read for the keys:
	// its entry computes the target key, which cannot be turned back
	// into its columns.
	Scanned bool `json:"scanned,omitempty"`
	// AbsentKeys are the absent keys whose deletes are (or would be)
	// handed on, as text in KeyColumns order.
	AbsentKeys [][]string `json:"absent_keys,omitempty"`
	Elapsed    float64    `json:"elapsed_seconds"`
}

// ErrNotOwnKey is what ResyncJob.CanDelete returns for a key another
// driving entry owns: it is not absent from the target's sources, only
// from this table, and is neither deleted nor counted.
var ErrNotOwnKey = errors.New("another driving entry owns the key")

// Resync runs job on the calling goroutine, one window at a time, and
// returns once every window has been merged into the stream (its rows
// and deletes are then in the stream, not necessarily applied by the
// sinks yet). It shares the source's throttle with the backfill workers:
// the rows-per-second cap and the Threads_running pause apply to it.
// Nothing of it is saved: a resync cut short is simply run again.
//
// With GTID watermarks each window is read in a consistent snapshot whose
// GTID set is its low mark and merged once the stream has passed the
// writer's set read after it, as a backfill chunk is (gtidmerge.go); the
// source has one window in flight at a time, so the resync's windows take
// turns with the backfill's chunks (Backfiller.takeTurn).
func (b *Backfiller) Resync(ctx context.Context, job ResyncJob) (ResyncResult, error) {
	start := time.Now()
	res := ResyncResult{Source: b.opts.Source, Table: job.Schema + "." + job.Table, Where: job.Where, Keys: len(job.Keys)}
	if job.Where != "" && len(job.Keys) > 0 || job.Where == "" && len(job.Keys) == 0 && job.Keep == nil {
		return res, errors.New("a resync takes a predicate or keys, one of them")
	}
	plan, err := b.resyncPlan(ctx, job)
	if err != nil {
		return res, err
	}
	res.Key = plan.KeyNames()
	if job.DryRun {
		err = b.resyncDry(ctx, plan, job, &res)
		res.Elapsed = time.Since(start).Seconds()
		return res, err
	}
	if err := b.EnsureWatermarkTable(ctx); err != nil {
		return res, err
	}
	if len(job.Keys) > 0 {
		err = b.resyncKeys(ctx, plan, job, &res)
	} else {
		err = b.resyncWhere(ctx, plan, job.Keep, &res)
	}
	res.Elapsed = time.Since(start).Seconds()
	if err != nil {
		return res, mysqlerr.Redact(err)
	}
	b.log.Info("resynced", "table", res.Table, "chunks", res.Chunks, "copied", res.Copied, "carried", res.Carried,
		"deleted", res.Deleted, "undeletable", res.Undeletable, "elapsed", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// resyncPlan describes the table. In Keys mode the plan's key is the
// columns the keys are values of, which is what the window records.
func (b *Backfiller) resyncPlan(ctx context.Context, job ResyncJob) (*Plan, error) {
	if len(job.Keys) == 0 {
		if err := CheckWhere(job.Where); err != nil {
			return nil, err
		}
		p, err := NewPlan(ctx, b.db, job.Schema, job.Table, job.Where)
		if err == nil {
			err = b.tryWhere(ctx, p)
		}
		return p, err
	}
	t, err := decode.LoadTable(ctx, b.db, job.Schema, job.Table)
	if err != nil {
		return nil, err
	}
	for _, k := range job.Keys {
		if len(k) != len(job.KeyColumns) {
			return nil, fmt.Errorf("a key has %d values for the %d columns %s", len(k), len(job.KeyColumns), strings.Join(job.KeyColumns, ", "))
		}
	}
	return newPlan(t, index{name: "", columns: job.KeyColumns}, "")
}

// foldKey encodes key values loosely: strings lower-cased and without
// trailing spaces. Two keys a collation may take for one row fold alike
// (the reverse need not hold), so a key is taken for absent, or for
// untouched by the stream, only when no row's key folds like it: a
// mistake there keeps a row, never deletes one.
func foldKey(dst []byte, vals []change.Value) []byte {
	folded := make([]change.Value, len(vals))
	for i, v := range vals {
		switch s := v.(type) {
		case string:
			folded[i] = strings.ToLower(strings.TrimRight(s, " "))
		case []byte:
			folded[i] = strings.ToLower(strings.TrimRight(string(s), " \x00"))
		default:
			folded[i] = fmt.Sprint(change.Plain(v))
		}
	}
	return appendKey(dst, folded)
}

// absent returns the keys of batch no row of rows has.
func (p *Plan) absent(batch [][]change.Value, rows []change.Row) [][]change.Value {
	have := make(map[string]struct{}, len(rows))
	for _, row := range rows {
		have[string(foldKey(nil, p.KeyOf(row)))] = struct{}{}
	}
	var out [][]change.Value
	for _, k := range batch {
		if _, ok := have[string(foldKey(nil, k))]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// deleteImage returns the before image of a delete of the row with key:
// the key columns held, every other column omitted (nil).
func (p *Plan) deleteImage(key []change.Value) (change.Row, []int) {
	row := make(change.Row, len(p.Table.Columns))
	for i, col := range p.Key {
		row[col] = key[i]
	}
	var omitted []int
	for i := range p.Table.Columns {
		if !slices.Contains(p.Key, i) {
			omitted = append(omitted, i)
		}
	}
	return row, omitted
}

// namesRow reports whether the plan's key holds the table's primary key:
// a delete image of the key alone then identifies the source row, as the
// change sinks need it to (their records and order are by primary key).
func namesRow(plan *Plan) bool {
	if len(plan.Table.PrimaryKey) == 0 {
		return false
	}
	for _, col := range plan.Table.PrimaryKey {
		if !slices.Contains(plan.Key, col) {
			return false
		}
	}
	return true
}

// keyText returns key values as text.
func keyText(key []change.Value) []string {
	out := make([]string, len(key))
	for i, v := range key {
		out[i] = fmt.Sprint(change.Plain(v))
	}
	return out
}

// resyncDry reads what a resync would: the keys, to count the absent
// ones; the estimate of a predicate's rows.
func (b *Backfiller) resyncDry(ctx context.Context, plan *Plan, job ResyncJob, res *ResyncResult) error {
	if len(job.Keys) == 0 {
		res.Estimate = estimate(ctx, b.db, plan)
		return nil
	}
	for batch := range slices.Chunk(job.Keys, max(b.opts.ChunkRows, DefaultChunkRows)) {
		if err := b.throttle.before(ctx); err != nil {
			return err
		}
		start := time.Now()
		rows, err := plan.ReadKeys(ctx, b.db, batch)
		if err != nil {
			return mysqlerr.Redact(err)
		}
		b.throttle.after(start, max(len(rows), 1))
		res.Read += len(rows)
		b.countAbsent(plan, job, plan.absent(batch, rows), res)
	}
	return nil
}

// countAbsent adds absent keys to res and returns the delete images of
// those the stream can carry.
func (b *Backfiller) countAbsent(plan *Plan, job ResyncJob, absent [][]change.Value, res *ResyncResult) []change.RowChange {
	var out []change.RowChange
	named := namesRow(plan)
	for _, k := range absent {
		before, omitted := plan.deleteImage(k)
		if !named {
			res.Absent++
			res.Undeletable++
			res.Why = "the columns the target key copies do not hold the source table's primary key, so a delete " +
				"known by them alone could not say which source row it removes (the change sinks key by it)"
			continue
		}
		if job.CanDelete != nil {
			err := job.CanDelete(plan.Table, before, omitted)
			if errors.Is(err, ErrNotOwnKey) {
				continue
			}
			res.Absent++
			if err != nil {
				res.Undeletable++
				if res.Why == "" {
					res.Why = err.Error()
				}
				continue
			}
		} else {
			res.Absent++
		}
		res.AbsentKeys = append(res.AbsentKeys, keyText(k))
		out = append(out, change.RowChange{Table: plan.Table, Op: change.Delete, Before: before, BeforeOmitted: omitted})
	}
	return out
}

// Describe reads the description of a table of the source.
func (b *Backfiller) Describe(ctx context.Context, t TableRef) (*change.Table, error) {
	return decode.LoadTable(ctx, b.db, t.Schema, t.Table)
}
