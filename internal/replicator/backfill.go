package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/source"
)

// backfills are the service's Backfillers, one per source, and what they
// need to choose tables.
type backfills struct {
	by    map[string]*backfill.Backfiller
	cfg   *config.Config
	set   *mapping.Set
	store *checkpoint.Store
	log   *slog.Logger

	mu struct {
		sync.Mutex
		// saved holds the cursor of each table as last made durable,
		// by source and table: what a restart would resume from.
		saved map[[2]string]checkpoint.Cursor
	}
}

// openBackfills makes a Backfiller for every source; they connect when
// they first need their source. GTID watermarks ask the source's reader
// for position transactions.
func openBackfills(cfg *config.Config, set *mapping.Set, store *checkpoint.Store, readers map[string]*source.Reader, logger *slog.Logger) (*backfills, error) {
	bs := &backfills{by: make(map[string]*backfill.Backfiller, len(cfg.Sources)), cfg: cfg, set: set, store: store, log: logger}
	bs.mu.saved = map[[2]string]checkpoint.Cursor{}
	for _, s := range cfg.Sources {
		c, err := s.Connector("")
		if err != nil {
			return nil, errors.Join(err, bs.Close())
		}
		var mark func()
		if r := readers[s.Name]; r != nil {
			mark = r.MarkPosition
		}
		b, err := backfill.New(backfill.Options{Source: s.Name, Connector: c, ChunkRows: s.BackfillChunkRows,
			ChunkRowsMax: s.BackfillChunkRowsMax, ChunkTime: s.BackfillChunkTime, Workers: s.BackfillWorkers,
			MaxRowsPerSecond: s.BackfillMaxRowsPerSecond, MaxThreadsRunning: s.BackfillMaxThreadsRunning,
			Store: store, Logger: logger, Watermarks: s.BackfillWatermarkMode(), ReadDSN: s.BackfillReadDSN(""),
			Flavor: s.Flavor, MarkPosition: mark})
		if err != nil {
			return nil, errors.Join(err, bs.Close())
		}
		bs.by[s.Name] = b
	}
	return bs, nil
}

// Close closes every Backfiller's connection.
func (bs *backfills) Close() error {
	var errs []error
	for _, b := range bs.by {
		errs = append(errs, b.Close())
	}
	return errors.Join(errs...)
}

// copies returns whether a table of source is one a backfill copies:
// with mappings, one a driving or contributing entry reads (and, when
// mappings are named, feeds one of them); without, every table.
func (bs *backfills) copies(source string, named []string) func(schema, table string) bool {
	if bs.set == nil {
		return nil
	}
	return func(schema, table string) bool {
		for _, f := range bs.set.Feeds(source, schema, table) {
			if len(named) == 0 || slices.ContainsFunc(named, func(n string) bool { return feeds(f, n) }) {
				return true
			}
		}
		return false
	}
}

// feeds reports whether name, a mapping file's path or a target table,
// names the mapping f.
func feeds(f mapping.Feed, name string) bool {
	if name == f.Target {
		return true
	}
	a, err1 := filepath.Abs(name)
	b, err2 := filepath.Abs(f.File)
	return err1 == nil && err2 == nil && a == b
}

// initial prepares the backfill of the fresh sources set to backfill:
// initial, saving their cursors before the start positions are saved
// (startPositions calls it first): a crash in between leaves the source
// fresh, and the next start prepares it again. A table that cannot be
// copied refuses the start.
func (bs *backfills) initial(ctx context.Context, fresh []string) error {
	var errs []error
	var all []checkpoint.Cursor
	for _, opts := range bs.cfg.Sources {
		if opts.Backfill != source.BackfillInitial || !slices.Contains(fresh, opts.Name) {
			continue
		}
		b := bs.by[opts.Name]
		tables, err := b.Tables(ctx, bs.copies(opts.Name, nil))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cursors, err := b.Prepare(ctx, tables, "")
		if err == nil {
			err = b.EnsureWatermarkTable(ctx)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bs.log.Info("first start with backfill: initial", "source", opts.Name, "tables", len(tables))
		all = append(all, cursors...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("preparing the initial backfill (backfill: initial):\n%w", err)
	}
	if err := bs.store.SaveCursors(all); err != nil {
		return fmt.Errorf("saving the initial backfill's cursors: %w", err)
	}
	return nil
}

// resume hands every source the cursors the store holds for it; the
// watermark table is made ready where a copy is to go on.
func (bs *backfills) resume(ctx context.Context) error {
	cursors, err := bs.store.Cursors()
	if err != nil {
		return fmt.Errorf("loading backfill cursors: %w", err)
	}
	bs.saved(cursors)
	var errs []error
	for name, b := range bs.by {
		mine := slices.DeleteFunc(slices.Clone(cursors), func(c checkpoint.Cursor) bool { return c.Source != name })
		if slices.ContainsFunc(mine, func(c checkpoint.Cursor) bool { return !c.Done }) {
			if err := b.EnsureWatermarkTable(ctx); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		b.Resume(mine)
	}
	return errors.Join(errs...)
}

// started is one table a request started, as /backfill answers.
type started struct {
	Source string   `json:"source"`
	Table  string   `json:"table"`
	Key    []string `json:"key"`
	Where  string   `json:"where,omitempty"`
	// Estimate is the rows expected, 0 when unknown.
	Estimate uint64 `json:"estimate,omitempty"`
}

// request starts the backfill req asks for: every table it selects is
// checked first, and nothing starts unless all can be copied.
func (bs *backfills) request(ctx context.Context, req httpapi.BackfillRequest) (any, error) {
	sources, err := bs.sources(req.Sources)
	if err != nil {
		return nil, httpapi.BadRequest(err)
	}
	if err := bs.checkMappings(req.Mappings); err != nil {
		return nil, httpapi.BadRequest(err)
	}
	if err := backfill.CheckWhere(req.Where); err != nil {
		return nil, httpapi.BadRequest(err)
	}
	plans := map[string][]checkpoint.Cursor{}
	var errs []error
	for _, name := range sources {
		b := bs.by[name]
		tables, err := b.Tables(ctx, bs.copies(name, req.Mappings))
		if err != nil {
			return nil, err
		}
		cursors, err := b.Prepare(ctx, tables, req.Where)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans[name] = cursors
	}
	if err := errors.Join(errs...); err != nil {
		return nil, httpapi.BadRequest(fmt.Errorf("refusing the backfill, nothing started:\n%w", err))
	}
	out := []started{}
	for _, name := range sources {
		for _, c := range plans[name] {
			out = append(out, started{Source: name, Table: c.QualifiedName(), Key: c.Key, Where: c.Where, Estimate: c.Estimate})
		}
	}
	if len(out) == 0 {
		return nil, httpapi.BadRequest(errors.New("no table to backfill: the selected sources have no table that a " +
			"mapping's driving or contributing entry reads"))
	}
	for _, name := range sources {
		if err := bs.by[name].Start(ctx, plans[name]); err != nil {
			return nil, err
		}
		bs.saved(plans[name])
	}
	return out, nil
}

// sources returns the named sources, or all, in configuration order.
func (bs *backfills) sources(names []string) ([]string, error) {
	all := bs.cfg.SourceNames()
	if len(names) == 0 {
		return all, nil
	}
	var unknown []string
	for _, n := range names {
		if !slices.Contains(all, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown source(s) %s; configured: %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return slices.DeleteFunc(all, func(n string) bool { return !slices.Contains(names, n) }), nil
}

// checkMappings refuses mapping names that name no loaded mapping.
func (bs *backfills) checkMappings(names []string) error {
	if len(names) == 0 {
		return nil
	}
	if bs.set == nil {
		return errors.New("--mapping needs mappings, and the configuration names none")
	}
	all := bs.set.Mappings()
	var unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(all, func(f mapping.Feed) bool { return feeds(f, n) }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%s: neither a loaded mapping file nor a target table of one", strings.Join(unknown, ", "))
	}
	return nil
}

// saved records cursors made durable, unless a later request of the
// same table replaced them (as the store does).
func (bs *backfills) saved(cursors []checkpoint.Cursor) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	for _, c := range cursors {
		k := [2]string{c.Source, c.QualifiedName()}
		if old, ok := bs.mu.saved[k]; !ok || !c.Requested.Before(old.Requested) {
			bs.mu.saved[k] = c
		}
	}
}

// status returns the backfill progress of source, with the counts of
// each table's last durable cursor.
func (bs *backfills) status(source string) []backfill.TableStatus {
	b := bs.by[source]
	if b == nil {
		return nil
	}
	st := b.Status()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	for i := range st {
		c, ok := bs.mu.saved[[2]string{source, st[i].Table}]
		if ok && c.Requested.Equal(st[i].Requested) {
			st[i].CheckpointChunks, st[i].CheckpointRows = c.Chunks, c.Rows
		}
	}
	return st
}
