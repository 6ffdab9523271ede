package replicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// Repair reads and edits the failed changes and the ranges to repair of
// the store, and applies failed operations again: the running service
// serves it over HTTP, the offline commands call it with the store and
// the target opened themselves. Input it refuses comes back marked
// httpapi.BadRequest.
type Repair struct {
	Cfg   *config.Config
	Set   *mapping.Set
	Store *checkpoint.Store
	// Sink applies failed operations again; nil when the configuration
	// has no mysql sink, or several (a record does not say which one
	// failed).
	Sink *mysqlsink.Sink
	// NoSink says why Sink is nil.
	NoSink string
	// TryRange, in the running service, reads what a resync of a range
	// would read, without writing (a dry run), so a range the sources
	// refuse (a predicate the server cannot read, keys that are not
	// values of the key's columns) is refused when added rather than
	// when repaired. Nil with the service stopped.
	TryRange func(ctx context.Context, rg checkpoint.Range) error
}

// MySQLSinkOf returns the configuration's one mysql sink, or says why
// there is none to retry through.
func MySQLSinkOf(cfg *config.Config) (*config.Sink, string) {
	var found []*config.Sink
	for i := range cfg.Sinks {
		if cfg.Sinks[i].Type == config.SinkMySQL {
			found = append(found, &cfg.Sinks[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, "the configuration has no mysql sink to apply failed operations through"
	case 1:
		return found[0], ""
	}
	return nil, fmt.Sprintf("the configuration has %d mysql sinks and a failed change does not say which one it failed in", len(found))
}

// FailedSelection picks failed changes: those with IDs, those of Target,
// or All.
type FailedSelection struct {
	IDs    []uint64 `json:"ids,omitempty"`
	All    bool     `json:"all,omitempty"`
	Target string   `json:"target,omitempty"`
}

// check refuses a selection that picks nothing or picks two ways.
func (sel FailedSelection) check() error {
	n := 0
	for _, set := range []bool{len(sel.IDs) > 0, sel.All, sel.Target != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return httpapi.BadRequest(errors.New("give failed change IDs, --all or --target, one of them"))
	}
	return nil
}

// pick returns the failed changes sel names, in id order; an id that
// names none is refused.
func (r *Repair) pick(sel FailedSelection) ([]change.FailedChange, error) {
	if err := sel.check(); err != nil {
		return nil, err
	}
	all, err := r.Store.FailedChanges()
	if err != nil {
		return nil, fmt.Errorf("reading failed changes: %w", err)
	}
	var missing []string
	for _, id := range sel.IDs {
		if !slices.ContainsFunc(all, func(fc change.FailedChange) bool { return fc.ID == id }) {
			missing = append(missing, fmt.Sprint(id))
		}
	}
	if len(missing) > 0 {
		return nil, httpapi.BadRequest(fmt.Errorf("no failed change with id %s (tributary failed list shows the recorded ones)",
			strings.Join(missing, ", ")))
	}
	return slices.DeleteFunc(all, func(fc change.FailedChange) bool {
		return !sel.All && !slices.Contains(sel.IDs, fc.ID) && (sel.Target == "" || fc.Target != sel.Target)
	}), nil
}

// FailedChange returns the failed change with id.
func (r *Repair) FailedChange(id uint64) (change.FailedChange, error) {
	fc, err := r.Store.FailedChange(id)
	if errors.Is(err, checkpoint.ErrNotFound) {
		return fc, httpapi.BadRequest(fmt.Errorf("no failed change with id %d (tributary failed list shows the recorded ones)", id))
	}
	return fc, err
}

// RetryFailed applies the failed operations sel picks again, in the order
// they were recorded, through the mysql sink (see mysqlsink.Sink.Retry for
// which are refused, and why a later change of a row is never
// overwritten). Each record that applies is deleted; each that fails
// again keeps its place with its new error.
func (r *Repair) RetryFailed(ctx context.Context, sel FailedSelection) ([]mysqlsink.RetryResult, error) {
	picked, err := r.pick(sel)
	if err != nil {
		return nil, err
	}
	if len(picked) == 0 {
		return []mysqlsink.RetryResult{}, nil
	}
	if r.Sink == nil {
		return nil, httpapi.BadRequest(errors.New(r.NoSink))
	}
	results, err := r.Sink.Retry(ctx, picked, r.targetTable)
	var applied []uint64
	var errs []error
	for _, res := range results {
		switch {
		case res.Applied:
			applied = append(applied, res.ID)
		case res.Error != "":
			if uerr := r.Store.UpdateFailed(res.ID, func(fc *change.FailedChange) {
				fc.Error, fc.Summary = res.Error, res.Summary
			}); uerr != nil && !errors.Is(uerr, checkpoint.ErrNotFound) {
				errs = append(errs, fmt.Errorf("saving the new error of failed change %d: %w", res.ID, uerr))
			}
		}
	}
	if len(applied) > 0 {
		if _, derr := r.Store.DeleteFailed(applied); derr != nil {
			errs = append(errs, fmt.Errorf("deleting %d applied failed changes: %w", len(applied), derr))
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("applying failed changes again: %w", err))
	}
	return results, errors.Join(errs...)
}

// targetTable returns the target table of a loaded mapping by name.
func (r *Repair) targetTable(name string) *change.TargetTable {
	if r.Set == nil {
		return nil
	}
	for _, t := range r.Set.Targets() {
		if t.QualifiedName() == name {
			return t
		}
	}
	return nil
}

// ClearFailed deletes the failed changes sel picks and returns their ids.
func (r *Repair) ClearFailed(sel FailedSelection) ([]uint64, error) {
	picked, err := r.pick(sel)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(picked))
	for i, fc := range picked {
		ids[i] = fc.ID
	}
	if len(ids) == 0 {
		return []uint64{}, nil
	}
	deleted, err := r.Store.DeleteFailed(ids)
	if err != nil {
		return nil, fmt.Errorf("deleting failed changes: %w", err)
	}
	return deleted, nil
}

// AddRange checks rg against the configuration and the mappings and
// stores it: its mapping (a mapping file or a target table) is stored as
// the target table, its source must be one the mapping reads, its where
// predicate must pass backfill.CheckWhere and its keys must have as many
// values as the target key has columns; in the running service, a dry
// run of its resync must succeed (TryRange).
func (r *Repair) AddRange(ctx context.Context, rg checkpoint.Range) (checkpoint.Range, error) {
	if r.Set == nil {
		return rg, httpapi.BadRequest(errors.New("ranges name a mapping, and the configuration names no mapping files"))
	}
	var feed *mapping.Feed
	all := r.Set.Mappings()
	for i := range all {
		if feeds(all[i], rg.Mapping) {
			feed = &all[i]
			break
		}
	}
	if feed == nil {
		names := make([]string, len(all))
		for i, f := range all {
			names[i] = f.Target
		}
		return rg, httpapi.BadRequest(fmt.Errorf("--mapping %q is neither a loaded mapping file nor a target table of one (loaded: %s)",
			rg.Mapping, strings.Join(names, ", ")))
	}
	rg.Mapping = feed.Target
	if rg.Source != "" && !slices.Contains(r.Cfg.SourceNames(), rg.Source) {
		return rg, httpapi.BadRequest(fmt.Errorf("--source %q is not a configured source (configured: %s)",
			rg.Source, strings.Join(r.Cfg.SourceNames(), ", ")))
	}
	if rg.Where != "" {
		if err := backfill.CheckWhere(rg.Where); err != nil {
			return rg, httpapi.BadRequest(err)
		}
	}
	if len(rg.Keys) > 0 {
		key := r.targetTable(rg.Mapping).Key
		if n := len(rg.Keys[0]); n != len(key) {
			return rg, httpapi.BadRequest(fmt.Errorf("the keys have %d values each, and the key of %s has %d columns (%s)",
				n, rg.Mapping, len(key), strings.Join(key, ", ")))
		}
	}
	if rg.Origin == "" {
		rg.Origin = checkpoint.RangeOperator
	}
	if err := rg.Check(); err != nil {
		return rg, httpapi.BadRequest(err)
	}
	if r.TryRange != nil {
		if err := r.TryRange(ctx, rg); err != nil {
			return rg, err
		}
	}
	rg.Created = time.Now().UTC()
	id, err := r.Store.AddRange(rg)
	if err != nil {
		return rg, fmt.Errorf("adding range: %w", err)
	}
	rg.ID = id
	return rg, nil
}

// Ranges returns the open ranges, or all with all, in id order.
func (r *Repair) Ranges(all bool) ([]checkpoint.Range, error) {
	rs, err := r.Store.Ranges()
	if err != nil {
		return nil, fmt.Errorf("reading ranges: %w", err)
	}
	if !all {
		rs = slices.DeleteFunc(rs, func(rg checkpoint.Range) bool { return !rg.Resolved.IsZero() })
	}
	if rs == nil {
		rs = []checkpoint.Range{}
	}
	return rs, nil
}

// Range returns the range with id.
func (r *Repair) Range(id uint64) (checkpoint.Range, error) {
	rg, err := r.Store.Range(id)
	if errors.Is(err, checkpoint.ErrNotFound) {
		return rg, httpapi.BadRequest(fmt.Errorf("no range with id %d (tributary ranges list --all shows them)", id))
	}
	return rg, err
}

// ClearRanges deletes the ranges sel picks and returns them.
func (r *Repair) ClearRanges(sel checkpoint.RangeSelection) ([]checkpoint.Range, error) {
	n := 0
	for _, set := range []bool{len(sel.IDs) > 0, sel.Resolved, sel.All} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, httpapi.BadRequest(errors.New("give range IDs, --resolved or --all, one of them"))
	}
	cleared, err := r.Store.ClearRanges(sel)
	if errors.Is(err, checkpoint.ErrNotFound) {
		return nil, httpapi.BadRequest(fmt.Errorf("%w (tributary ranges list --all shows them); nothing cleared", err))
	}
	if err != nil {
		return nil, fmt.Errorf("clearing ranges: %w", err)
	}
	if cleared == nil {
		cleared = []checkpoint.Range{}
	}
	return cleared, nil
}

// ResolveRanges marks the ranges with ids resolved now (those already
// resolved keep their time) and returns the ids; an id that names no
// range is refused before any is marked.
func (r *Repair) ResolveRanges(ids []uint64) ([]uint64, error) {
	if len(ids) == 0 {
		return nil, httpapi.BadRequest(errors.New("give the IDs of the ranges to mark resolved"))
	}
	for _, id := range ids {
		if _, err := r.Range(id); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	for _, id := range ids {
		if err := r.Store.ResolveRange(id, now); err != nil {
			return nil, fmt.Errorf("resolving range %d: %w", id, err)
		}
	}
	return ids, nil
}

// failedJSON is a failed change as the endpoints send it: the store's
// form, which keeps every value's type (checkpoint.MarshalFailed).
func failedJSON(fcs ...change.FailedChange) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(fcs))
	for i, fc := range fcs {
		b, err := checkpoint.MarshalFailed(fc)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
