package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/source"
)

// Replayer serves `tributary replay`: it brings the rows that a window of
// a source's retained binlog touched up to date in some sinks only, after
// a mapping was fixed, without moving the checkpoint and without writing
// to the other sinks.
//
// How, and why it is sound. Re-applying the window's changes themselves
// would regress rows: the live stream has applied later changes already,
// and the window's images are older. What the named sinks must hold after
// a replay is, for every row the window touched, the row as the source
// holds it now, mapped by the running (fixed) mappings. So the window is
// read with a reader of its own, only to learn which rows it touched and
// the last image of each; then those rows are read again from the source
// through the backfill's watermarks (backfill.Backfiller.Recheck), chunk
// by chunk, merged into the live stream at each chunk's high watermark
// for the named sinks only (change.Txn.Sinks). The watermark argument
// (backfill.Merger) gives every row its state at that point of the
// stream, and the stream carries every later change after it, in order:
// the newest state wins in the named sinks. A row the source no longer
// has is sent as a delete of its last image in the window, so a row
// deleted in the window (or after it) ends deleted; a row changed between
// a chunk's watermarks is left to the stream, which carries that change.
// The window's intermediate images are never sent again: change sinks
// get the rows' current images (reads and deletes), not the window's
// events. The checkpoint is the live stream's own and is never touched;
// nothing of a replay is saved, so one cut short (a stop, a client that
// goes away) is simply asked for again: it is idempotent.
type Replayer struct {
	cfg     *config.Config
	set     func() *mapping.Set
	readers map[string]*source.Reader
	bfs     *backfills
	store   *checkpoint.Store
	log     *slog.Logger
	// status returns the pipeline's progress: a replay is done once the
	// checkpoint has passed its last chunk.
	status func() []Status
	// flushThrough returns once the sinks have made a source's
	// transaction durable (Pipeline.flushThrough).
	flushThrough func(ctx context.Context, source string, seq uint64) error
	// running lets one replay run at a time: the window's reader takes
	// one replica server id per source.
	running sync.Mutex
}

// ReplayTable is what a replay found and did in one source table.
type ReplayTable struct {
	Table string `json:"table"`
	// Changes and Keys count the window's row changes of the table and
	// the rows they touched.
	Changes int `json:"changes"`
	Keys    int `json:"keys"`
	backfill.RecheckResult
}

// ReplayResult answers POST /replay.
type ReplayResult struct {
	Source   string        `json:"source"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	Sinks    []string      `json:"sinks"`
	Mappings []string      `json:"mappings,omitempty"`
	DryRun   bool          `json:"dry_run,omitempty"`
	Txns     int           `json:"transactions"`
	Tables   []ReplayTable `json:"tables"`
	// ReadSeconds is how long reading the window took, ApplySeconds how
	// long reading its rows again and merging them did.
	ReadSeconds  float64 `json:"read_seconds"`
	ApplySeconds float64 `json:"apply_seconds"`
}

// Replay replays the window req names; see Replayer.
func (r *Replayer) Replay(ctx context.Context, req httpapi.ReplayRequest) (any, error) {
	if !r.running.TryLock() {
		return nil, httpapi.BadRequest(errors.New("a replay is already running; wait for it to end"))
	}
	defer r.running.Unlock()
	opts, err := r.check(req)
	if err != nil {
		return nil, httpapi.BadRequest(err)
	}
	reader := r.readers[req.Source]
	cur, err := reader.CurrentPosition(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the current position of %s: %w", req.Source, err)
	}
	from, err := parseBound("--from", req.From, cur.Flavor)
	if err != nil {
		return nil, httpapi.BadRequest(err)
	}
	to, err := parseBound("--to", req.To, cur.Flavor)
	if err != nil {
		return nil, httpapi.BadRequest(err)
	}
	if err := checkOrder(from, to); err != nil {
		return nil, httpapi.BadRequest(err)
	}
	if err := checkReached(to, cur, time.Now()); err != nil {
		return nil, httpapi.BadRequest(err)
	}
	start, limit := from.pos, to.pos
	start.ServerID, start.ServerUUID = cur.ServerID, cur.ServerUUID
	if from.kind == boundTime {
		if start, err = reader.StartPosition(ctx, source.StartEarliest); err != nil {
			return nil, fmt.Errorf("finding the oldest binary log of %s: %w", req.Source, err)
		}
		limit = cur
	} else {
		if err := r.retained(ctx, reader, from); err != nil {
			return nil, httpapi.BadRequest(err)
		}
	}
	res := &ReplayResult{Source: req.Source, From: from.String(), To: to.String(), Sinks: req.Sinks,
		Mappings: req.Mappings, DryRun: req.DryRun, Tables: []ReplayTable{}}
	r.log.Info("replay: reading the window", "source", req.Source, "from", res.From, "to", res.To,
		"sinks", req.Sinks, "dry_run", req.DryRun)
	began := time.Now()
	win, err := readWindow(ctx, opts, start, limit, from, to, r.log)
	if err != nil {
		if errors.Is(err, errNotRetained) {
			return nil, httpapi.BadRequest(err)
		}
		return nil, err
	}
	res.ReadSeconds = time.Since(began).Seconds()
	res.Txns = win.txns
	tables := win.sortedTables()
	for _, t := range tables {
		res.Tables = append(res.Tables, ReplayTable{Table: t.schema + "." + t.name, Changes: t.changes, Keys: t.keys()})
	}
	if req.DryRun {
		return res, nil
	}
	began = time.Now()
	b := r.bfs.by[req.Source]
	var seq uint64
	for i, t := range tables {
		got, err := b.Recheck(ctx, backfill.Recheck{Schema: t.schema, Table: t.name, Last: t.last, Sinks: req.Sinks,
			ChunkKeys: opts.BackfillChunkRows})
		res.Tables[i].RecheckResult = got
		seq = max(seq, got.Seq)
		if err != nil {
			return nil, fmt.Errorf("replaying %s of %s (run the same replay again to finish it: it is idempotent): %w",
				res.Tables[i].Table, req.Source, err)
		}
	}
	if r.flushThrough != nil && seq > 0 {
		if err := r.flushThrough(ctx, req.Source, seq); err != nil {
			return nil, err
		}
	}
	if err := r.waitDurable(ctx, reader, req.Source); err != nil {
		return nil, err
	}
	res.ApplySeconds = time.Since(began).Seconds()
	r.log.Info("replay done", "source", req.Source, "transactions", res.Txns, "tables", len(tables),
		"seconds", res.ReadSeconds+res.ApplySeconds)
	return res, nil
}

// check refuses an unknown source, sink or mapping, and returns the
// options of the window's reader: the source's, reading the tables the
// (named) mappings read.
func (r *Replayer) check(req httpapi.ReplayRequest) (source.Options, error) {
	var opts source.Options
	var errs []error
	names := r.cfg.SourceNames()
	i := slices.Index(names, req.Source)
	if i < 0 {
		errs = append(errs, fmt.Errorf("--source %q is not a configured source (configured: %s)", req.Source,
			strings.Join(names, ", ")))
	}
	if len(req.Sinks) == 0 {
		errs = append(errs, errors.New("--sink names no sink: name each sink to replay into (the others are left alone)"))
	}
	var sinks []string
	for _, s := range r.cfg.Sinks {
		sinks = append(sinks, s.Name)
	}
	for _, s := range req.Sinks {
		if !slices.Contains(sinks, s) {
			errs = append(errs, fmt.Errorf("--sink %q is not a configured sink (configured: %s)", s, strings.Join(sinks, ", ")))
		}
	}
	set := r.set()
	switch {
	case set == nil && len(req.Mappings) > 0:
		errs = append(errs, errors.New("--mapping needs mappings, and the configuration names none"))
	case set != nil:
		if err := checkMappingNames(set, req.Mappings); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return opts, fmt.Errorf("refusing the replay, nothing done:\n%w", err)
	}
	opts = r.cfg.Sources[i]
	// Without mappings every table but the watermarks', as the live
	// reader reads them.
	copies := r.bfs.copies(req.Source, req.Mappings)
	opts.Include = func(schema, table string) bool {
		if copies == nil {
			return !backfill.IsWatermark(schema, table)
		}
		return copies(schema, table)
	}
	opts.History = readOnlyHistory{r.store}
	return opts, nil
}

// checkMappingNames refuses names that name no mapping of set.
func checkMappingNames(set *mapping.Set, names []string) error {
	all := set.Mappings()
	var unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(all, func(f mapping.Feed) bool { return feeds(f, n) }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("--mapping %s: neither a loaded mapping file nor a target table of one", strings.Join(unknown, ", "))
	}
	return nil
}

// retained refuses a window whose start the source no longer keeps.
func (r *Replayer) retained(ctx context.Context, reader *source.Reader, from bound) error {
	if from.kind == boundFile {
		if err := reader.Reachable(ctx, from.pos); err != nil {
			return fmt.Errorf("the window is no longer retained (or never was): %w", err)
		}
		return nil
	}
	earliest, err := reader.StartPosition(ctx, source.StartEarliest)
	if err != nil {
		return fmt.Errorf("finding the oldest binary log: %w", err)
	}
	return checkRetained(from, earliest)
}

// waitDurable returns once the live checkpoint of src has passed the
// source's current position, taken after the last chunk was merged: the
// sinks have then made every chunk durable.
func (r *Replayer) waitDurable(ctx context.Context, reader *source.Reader, src string) error {
	end, err := reader.CurrentPosition(ctx)
	if err != nil {
		return fmt.Errorf("reading the current position of %s: %w", src, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, st := range r.status() {
			if st.Source != src {
				continue
			}
			if ok, err := source.Reached(st.Checkpoint, end); err != nil {
				return fmt.Errorf("comparing the checkpoint of %s with the end of the replay: %w", src, err)
			} else if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the sinks to make the replayed rows durable: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
