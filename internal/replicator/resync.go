package replicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// ResyncRequest is the body of POST /resync: the rows of one mapping to
// read again from its driving source tables.
type ResyncRequest struct {
	// Mapping is a mapping file or its target table.
	Mapping string `json:"mapping"`
	// Source restricts the resync to one source; empty means every
	// source a driving entry matches.
	Source string `json:"source,omitempty"`
	// Where is an SQL predicate over the driving tables' columns; Keys
	// are target keys, each the text of its key columns' values in key
	// order. One of them.
	Where string     `json:"where,omitempty"`
	Keys  [][]string `json:"keys,omitempty"`
	// Entry, when set, restricts the resync to the tables of one driving
	// entry of the mapping: its position among them, from 1. A resync of
	// a predicate sends the target rows it owns as keys of the entry
	// whose columns the predicate was translated through.
	Entry int `json:"entry,omitempty"`
	// DryRun reads and counts, and hands nothing on.
	DryRun bool `json:"dry_run,omitempty"`
}

// resyncTable is one driving table a resync reads.
type resyncTable struct {
	source string
	ref    backfill.TableRef
	driver mapping.Driver
}

// resync serves POST /resync: it reads the rows again through each
// driving table's Backfiller, one table after another, and answers once
// every window is merged into its source's stream.
func (bs *backfills) resync(ctx context.Context, body json.RawMessage) (any, error) {
	var req ResyncRequest
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if bs.set == nil {
		return nil, httpapi.BadRequest(errors.New("resync repairs the rows of a mapping, and the configuration names no mapping files"))
	}
	if (req.Where == "") == (len(req.Keys) == 0) {
		return nil, httpapi.BadRequest(errors.New("a resync takes a where predicate or keys, one of them"))
	}
	if err := backfill.CheckWhere(req.Where); err != nil {
		return nil, httpapi.BadRequest(err)
	}
	var feed *mapping.Feed
	for _, f := range bs.set.Mappings() {
		if feeds(f, req.Mapping) {
			feed = &f
			break
		}
	}
	if feed == nil {
		return nil, httpapi.BadRequest(fmt.Errorf("%q is neither a loaded mapping file nor a target table of one", req.Mapping))
	}
	if req.Source != "" {
		if _, err := bs.sources([]string{req.Source}); err != nil {
			return nil, httpapi.BadRequest(err)
		}
	}
	tables, err := bs.resyncTables(ctx, feed.Target, req)
	if err != nil {
		return nil, err
	}
	out := []backfill.ResyncResult{}
	for _, rt := range tables {
		job := backfill.ResyncJob{Schema: rt.ref.Schema, Table: rt.ref.Table, Where: req.Where, DryRun: req.DryRun}
		scan := len(req.Keys) > 0 && rt.driver.KeyColumns == nil
		switch {
		case scan:
			// The entry computes the target key (an expression, a
			// metadata field): a target key cannot be turned back into
			// its source columns, so the table is read whole and the
			// rows whose target keys are asked for are kept. Correct,
			// at the cost of a full read; absent keys are not deleted
			// through it (no source key to delete by).
			job.Keep = bs.keeps(rt.source, feed.Target, req.Keys)
		case len(req.Keys) > 0:
			if job.KeyColumns, job.Keys, err = bs.sourceKeys(ctx, rt, feed.Target, req.Keys); err != nil {
				return nil, err
			}
			job.CanDelete = bs.canDelete(rt.source, feed.Target)
		}
		res, err := bs.by[rt.source].Resync(ctx, job)
		if err != nil {
			err = fmt.Errorf("resyncing %s on source %s: %w", rt.ref.QualifiedName(), rt.source, err)
			if refused(err) {
				return nil, httpapi.BadRequest(err)
			}
			return nil, err
		}
		res.Scanned = scan
		out = append(out, res)
	}
	return out, nil
}

// tryRange runs a dry resync of rg (see Repair.TryRange): what it
// refuses is refused, saying that the range could not be repaired; a
// source that cannot be reached leaves the range unchecked, not refused.
func (bs *backfills) tryRange(ctx context.Context, rg checkpoint.Range) error {
	body, err := json.Marshal(ResyncRequest{Mapping: rg.Mapping, Source: rg.Source, Where: rg.Where, Keys: rg.Keys, DryRun: true})
	if err != nil {
		return err
	}
	_, err = bs.resync(ctx, body)
	if httpapi.IsBadRequest(err) {
		return httpapi.BadRequest(fmt.Errorf("a resync of this range would fail: %w", err))
	}
	return nil
}

// resyncTables lists the driving tables of target on the sources req
// selects.
func (bs *backfills) resyncTables(ctx context.Context, target string, req ResyncRequest) ([]resyncTable, error) {
	var out []resyncTable
	drivers := bs.set.Drivers(target)
	if req.Entry < 0 || req.Entry > len(drivers) {
		return nil, httpapi.BadRequest(fmt.Errorf("the mapping of %s has %d driving entries, and entry %d was asked for", target, len(drivers), req.Entry))
	}
	for i, d := range drivers {
		if req.Entry != 0 && i+1 != req.Entry {
			continue
		}
		for _, src := range bs.cfg.SourceNames() {
			if ok, _ := path.Match(d.Source, src); !ok || (req.Source != "" && req.Source != src) {
				continue
			}
			refs, err := bs.by[src].Tables(ctx, func(schema, table string) bool {
				ok1, _ := path.Match(d.Schema, schema)
				ok2, _ := path.Match(d.Table, table)
				return ok1 && ok2
			})
			if err != nil {
				return nil, err
			}
			for _, ref := range refs {
				out = append(out, resyncTable{source: src, ref: ref, driver: d})
			}
		}
	}
	if len(out) == 0 {
		return nil, httpapi.BadRequest(fmt.Errorf("no driving table of %s on the selected sources", target))
	}
	return out, nil
}

// sourceKeys turns target keys (text) into the values of the source
// columns the driving entry copies them from, typed as the binlog decodes
// those columns: the window compares them with the stream's keys.
func (bs *backfills) sourceKeys(ctx context.Context, rt resyncTable, target string, keys [][]string) ([]string, [][]change.Value, error) {
	cols := rt.driver.KeyColumns
	t, err := bs.by[rt.source].Describe(ctx, rt.ref)
	if err != nil {
		return nil, nil, err
	}
	convs := make([]func([]byte) (change.Value, error), len(cols))
	for i, name := range cols {
		at := t.ColumnIndex(name)
		if at < 0 {
			return nil, nil, httpapi.BadRequest(fmt.Errorf("%s on source %s has no column %s, which the mapping of %s copies into its key",
				rt.ref.QualifiedName(), rt.source, name, target))
		}
		if convs[i], err = decode.TextValue(t.Columns[at]); err != nil {
			return nil, nil, err
		}
	}
	out := make([][]change.Value, 0, len(keys))
	for n, k := range keys {
		if len(k) != len(cols) {
			return nil, nil, httpapi.BadRequest(fmt.Errorf("key %d has %d values, and the key of %s has %d columns", n+1, len(k), target, len(cols)))
		}
		vals := make([]change.Value, len(k))
		for i, text := range k {
			v, err := convs[i]([]byte(text))
			if err != nil {
				return nil, nil, httpapi.BadRequest(fmt.Errorf("key %d, column %s: %w", n+1, cols[i], err))
			}
			vals[i] = v
		}
		out = append(out, vals)
	}
	return cols, out, nil
}

// canDelete returns the check of a delete a resync would send: the
// mappings must take it without an error and give no refused operation,
// and the mapping of target must give an operation for it (a driving
// entry's filter that the row does not pass with its omitted columns
// NULL, or delete: ignore, gives none; then the target row is left for
// the re-verify to report).
func (bs *backfills) canDelete(source, target string) func(t *change.Table, before change.Row, omitted []int) error {
	return func(t *change.Table, before change.Row, omitted []int) error {
		txn := &change.Txn{Source: source, Last: true, Changes: []change.RowChange{
			{Table: t, Op: change.Delete, Before: before, BeforeOmitted: omitted}}}
		if err := bs.set.Apply(txn); err != nil {
			return fmt.Errorf("the mappings cannot take the delete of a row known only by its key: %w", err)
		}
		mine := false
		for _, op := range txn.Ops {
			if op.Kind == change.Reject && op.Target.QualifiedName() == target && errors.Is(op.Err, mapping.ErrNotOwned) {
				return backfill.ErrNotOwnKey
			}
			if op.Kind == change.Reject {
				return fmt.Errorf("the mapping of %s refuses the delete: %s", op.Target.QualifiedName(),
					strings.TrimSpace(fmt.Sprint(op.Err)))
			}
			mine = mine || op.Target.QualifiedName() == target
		}
		if !mine {
			return fmt.Errorf("the mapping of %s gives no operation for the delete of a row known only by its key "+
				"(a filter it does not pass with its other columns NULL, or delete: ignore)", target)
		}
		return nil
	}
}

// keeps returns the filter of the rows whose target key in target is one
// of keys (text, as ranges hold them): each row goes through the mappings
// as a copied row does.
func (bs *backfills) keeps(source, target string, keys [][]string) func(t *change.Table, row change.Row) bool {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[strings.Join(k, "\x00")] = true
	}
	return func(t *change.Table, row change.Row) bool {
		txn := &change.Txn{Source: source, Last: true, Changes: []change.RowChange{{Table: t, Op: change.Read, After: row}}}
		if err := bs.set.Apply(txn); err != nil {
			return false // not handed on: the re-verify reports it, as the stream would stop on it
		}
		for _, op := range txn.Ops {
			if op.Target.QualifiedName() != target || op.Key == nil {
				continue
			}
			text := make([]string, len(op.Key))
			for i, v := range op.Key {
				text[i] = fmt.Sprint(change.Plain(v))
			}
			if want[strings.Join(text, "\x00")] {
				return true
			}
		}
		return false
	}
}

// refused reports whether a resync failed on its request rather than on
// the source: a predicate the server refuses, a table without a usable
// key, a missing table.
func refused(err error) bool {
	for _, e := range []error{backfill.ErrBadWhere, backfill.ErrNoKey, decode.ErrNoTable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
