package replicator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// newRepair returns the Repair of the running service: its store, and its
// mysql sink when it has exactly one (sinks are in cfg.Sinks order).
func newRepair(cfg *config.Config, set *mapping.Set, store *checkpoint.Store, sinks []Sink, bfs *backfills) *Repair {
	r := &Repair{Cfg: cfg, Set: set, Store: store, TryRange: bfs.tryRange}
	sc, why := MySQLSinkOf(cfg)
	r.NoSink = why
	for i := range sinks {
		if sc != nil && &cfg.Sinks[i] == sc {
			r.Sink, _ = sinks[i].(*mysqlsink.Sink)
		}
	}
	return r
}

// repairHTTP serves a Repair on the service's HTTP endpoints.
type repairHTTP struct{ r *Repair }

// Failed lists the failed changes without their row values: their keys,
// and the error's summary in place of a whole error that may quote values.
// Only GET /failed/{id} (tributary failed show) gives one whole.
func (h repairHTTP) Failed(context.Context) (any, error) {
	all, err := h.r.Store.FailedChanges()
	if err != nil {
		return nil, fmt.Errorf("reading failed changes: %w", err)
	}
	for i := range all {
		fc := &all[i]
		fc.Columns, fc.Values = nil, nil
		if fc.Summary != "" {
			fc.Error = fc.Summary
		}
	}
	return failedJSON(all...)
}

func (h repairHTTP) FailedOne(_ context.Context, id uint64) (any, error) {
	fc, err := h.r.FailedChange(id)
	if err != nil {
		return nil, err
	}
	out, err := failedJSON(fc)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (h repairHTTP) RetryFailed(ctx context.Context, body json.RawMessage) (any, error) {
	var sel FailedSelection
	if err := decodeBody(body, &sel); err != nil {
		return nil, err
	}
	return h.r.RetryFailed(ctx, sel)
}

func (h repairHTTP) ClearFailed(_ context.Context, body json.RawMessage) (any, error) {
	var sel FailedSelection
	if err := decodeBody(body, &sel); err != nil {
		return nil, err
	}
	return h.r.ClearFailed(sel)
}

func (h repairHTTP) Ranges(_ context.Context, all bool) (any, error) { return h.r.Ranges(all) }

func (h repairHTTP) Range(_ context.Context, id uint64) (any, error) { return h.r.Range(id) }

func (h repairHTTP) AddRange(ctx context.Context, body json.RawMessage) (any, error) {
	var rg checkpoint.Range
	if err := decodeBody(body, &rg); err != nil {
		return nil, err
	}
	return h.r.AddRange(ctx, rg)
}

func (h repairHTTP) ClearRanges(_ context.Context, body json.RawMessage) (any, error) {
	var sel checkpoint.RangeSelection
	if err := decodeBody(body, &sel); err != nil {
		return nil, err
	}
	return h.r.ClearRanges(sel)
}

func (h repairHTTP) ResolveRanges(_ context.Context, body json.RawMessage) (any, error) {
	var sel checkpoint.RangeSelection
	if err := decodeBody(body, &sel); err != nil {
		return nil, err
	}
	return h.r.ResolveRanges(sel.IDs)
}

// decodeBody decodes a request body into v, refusing it as a bad request
// when it does not fit.
func decodeBody(body json.RawMessage, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return httpapi.BadRequest(fmt.Errorf("decoding the request: %w", err))
	}
	return nil
}

var _ httpapi.Repair = repairHTTP{}
