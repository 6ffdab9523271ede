package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/gcpace"
	"github.com/tributary-cdc/tributary/internal/heartbeat"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/metrics"
	"github.com/tributary-cdc/tributary/internal/sink/jsonl"
	kinesissink "github.com/tributary-cdc/tributary/internal/sink/kinesis"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
	"github.com/tributary-cdc/tributary/internal/source"
)

// Options are the choices of one run made on the command line.
type Options struct {
	// Init starts every source that has neither a checkpoint nor a start
	// setting at its current position. Without it such a source is
	// refused: an empty store must never be taken for a first start.
	Init bool
	// Reload, when set, asks for the mapping files to be loaded again
	// (SIGHUP): they replace the running ones only when they load, fit
	// the live schemas and read and write the same tables.
	Reload <-chan struct{}

	// PaceCollector runs a gcpace.Pacer beside the service: the Go
	// collector then waits for the heap to reach the pacer's floor while
	// the live heap is small.
	PaceCollector bool

	// storeFS replaces the operating system's files under the store, for
	// tests that inject disk faults.
	storeFS vfs.FS
}

// Run runs the service described by cfg until ctx ends: it checks every
// source, streams them all into the sinks and checkpoints as it goes.
func Run(ctx context.Context, cfg *config.Config, opts Options, logger *slog.Logger) error {
	store, err := openLocked(ctx, cfg.Pebble.Dir, &checkpoint.Options{Logger: logger, FS: opts.storeFS})
	if err != nil {
		return err
	}
	defer store.Close()

	set, err := LoadMappings(cfg)
	if err != nil {
		return err
	}
	readers := NewReaders(cfg, store, set, logger)
	if err := preflight(ctx, readers, logger); err != nil {
		return stoppedWaiting(ctx, err)
	}
	if err := checkMappingsLive(ctx, cfg, set, logger); err != nil {
		return err
	}
	bfs, err := openBackfills(cfg, set, store, readers, logger)
	if err != nil {
		return err
	}
	defer bfs.Close()
	start, err := startPositions(ctx, store, cfg, readers, opts.Init, bfs.initial, logger)
	if err != nil {
		return err
	}
	if err := bfs.resume(ctx); err != nil {
		return err
	}
	resolver, err := openResolver(cfg, set, logger)
	if err != nil {
		return err
	}
	if resolver != nil {
		defer resolver.Close()
	}
	replay, err := newReplayWindows(store, start, logger)
	if err != nil {
		return err
	}
	var lookupSources map[string][]string
	if set != nil {
		lookupSources = set.LookupSources(cfg.SourceNames())
	}
	var sinks []Sink
	err = untilReachable(ctx, logger, "the sinks", func() error {
		var err error
		sinks, err = openSinks(ctx, cfg, store, resolver, lookupSources, replay, logger)
		return err
	})
	if err != nil {
		return stoppedWaiting(ctx, err)
	}
	err = untilReachable(ctx, logger, "the sinks", func() error { return preflightSinks(ctx, cfg, sinks) })
	if err != nil {
		return stoppedWaiting(ctx, errors.Join(err, closeSinks(sinks)))
	}
	m := metrics.New()
	if resolver != nil {
		m.Registry.MustRegister(resolver.Collectors()...)
	}
	registerSinkMetrics(m, cfg, sinks)
	for _, b := range bfs.by {
		m.Registry.MustRegister(b.Collectors()...)
	}
	beats, err := openHeartbeats(cfg, m, logger)
	if err != nil {
		return errors.Join(err, closeSinks(sinks))
	}
	defer beats.Close()
	var changeSinks, tableSinks []Sink
	names := make(map[Sink]string, len(sinks))
	for i, s := range sinks {
		names[s] = cfg.Sinks[i].Name
		if cfg.Sinks[i].Type == config.SinkMySQL {
			tableSinks = append(tableSinks, s)
		} else {
			changeSinks = append(changeSinks, s)
		}
	}
	p := &Pipeline{
		Readers:     make(map[string]Reader, len(readers)),
		Intercept:   make(map[string]Interceptor, len(readers)),
		Start:       start,
		ChangeSinks: changeSinks, TableSinks: tableSinks,
		Store:     countingStore{store, m, bfs, beats.tracker},
		Interval:  cfg.Checkpoint.Interval,
		StopGrace: cfg.Checkpoint.StopGrace,
		Logger:    logger,
		OnRead:    m.Read,
		OnApplied: m.Applied,
		SinkNames: names,
	}
	var current atomic.Pointer[mapping.Set]
	current.Store(set)
	if set != nil {
		p.Map = mapper(current.Load, logger, func(source string, n mapping.DDLNotice) {
			m.DDL.WithLabelValues(source, n.Event.QualifiedName(), string(n.Event.Kind), string(n.Policy)).Inc()
		})
		if resolver != nil {
			p.Expand = expander(resolver, logger)
		}
	}
	for name, r := range readers {
		p.Readers[name] = r
		p.Intercept[name] = chain(beats.tracker.Intercept(name), bfs.by[name].Intercept)
	}
	g, gctx := errgroup.WithContext(ctx)
	// The sinks' background work outlives the stream: the pipeline flushes
	// them for its last checkpoint after its context ends. So they run on
	// the group's context less its cancellation, ended once the pipeline
	// has returned.
	sinkCtx, stopSinks := context.WithCancel(context.WithoutCancel(gctx))
	defer stopSinks()
	for _, s := range sinks {
		if r, ok := s.(runner); ok {
			g.Go(func() error { return r.Run(sinkCtx) })
		}
	}
	g.Go(func() error {
		defer stopSinks()
		return p.Run(gctx)
	})
	for _, b := range bfs.by {
		g.Go(func() error { return b.Run(gctx) })
	}
	if opts.Reload != nil {
		g.Go(func() error { return reloadLoop(gctx, opts.Reload, cfg, &current, logger) })
	}
	board := newMappingBoard(current.Load, store, m.TargetOps)
	m.Registry.MustRegister(board)
	lag := newLagTracker(readers, p.Status, logger)
	m.RegisterLag(lag.Lags)
	m.RegisterCheckpointAge(p.CheckpointAges)
	g.Go(func() error { return lag.Run(gctx) })
	if opts.PaceCollector {
		pacer := &gcpace.Pacer{Log: logger}
		g.Go(func() error { return pacer.Run(gctx) })
	}
	for _, w := range beats.writers {
		g.Go(func() error { return w.Run(gctx) })
	}
	if cfg.HTTP.Listen != "" {
		srv := &httpapi.Server{Addr: cfg.HTTP.Listen, Gatherer: m.Registry, Logger: logger,
			Status: func() any {
				st := p.Status()
				lags, beatLags := lag.Lags(), beats.tracker.Lags()
				for i := range st {
					st[i].Backfill = bfs.status(st[i].Source)
					st[i].Streaming = readers[st[i].Source].Streaming()
					st[i].LastError = readers[st[i].Source].LastError()
					st[i].LagSeconds = lags[st[i].Source]
					if hb, ok := beatLags[st[i].Source]; ok {
						st[i].HeartbeatLagSeconds = &hb
					}
				}
				return st
			},
			Backfill: bfs.request,
			Mappings: board.Status,
			Verified: board.Verified,
			Resync:   bfs.resync,
			Replay: (&Replayer{cfg: cfg, set: current.Load, readers: readers, bfs: bfs, store: store,
				log: logger, status: p.Status, flushThrough: p.flushThrough}).Replay,
			Readiness: readiness(cfg, readers, sinks),
			Token:     cfg.HTTP.Token(),
			PProf:     cfg.HTTP.PProf,
			Repair:    repairHTTP{newRepair(cfg, set, store, sinks, bfs)}}
		g.Go(func() error { return srv.Run(gctx) })
	}
	logger.Info("streaming", "sources", len(readers), "sinks", len(sinks))
	err = errors.Join(g.Wait(), closeSinks(sinks))
	if err == nil {
		logStopped(logger, p.Interruptions())
	}
	return err
}

// logStopped says how the stream stopped: cleanly, so that a restart
// repeats nothing, or inside transactions whose first parts a restart
// sends again.
func logStopped(logger *slog.Logger, cut []Interrupted) {
	if len(cut) == 0 {
		logger.Info("stopped cleanly; a restart repeats nothing")
		return
	}
	sources := make([]string, len(cut))
	for i, in := range cut {
		sources[i] = in.Source
	}
	logger.Warn(fmt.Sprintf("stopped inside %s: a restart sends the parts already written again (at least once); checkpoint.stop_grace sets how long a stop waits",
		plural(len(cut), "transaction", "transactions")), "sources", sources)
}

// checkMappingsLive checks the mappings against the live schemas before
// anything streams: a column that does not exist would otherwise stop the
// stream at the first row that needs it, maybe hours later. Errors refuse
// the start, every one listed; warnings are logged.
func checkMappingsLive(ctx context.Context, cfg *config.Config, set *mapping.Set, logger *slog.Logger) error {
	if set == nil {
		return nil
	}
	problems, _, err := CheckLive(ctx, cfg, set)
	if err != nil {
		return err
	}
	if problems.Errors() > 0 {
		return fmt.Errorf("the mappings do not fit the live schemas (tributary mappings check --live lists the same):\n%w", problems)
	}
	for _, p := range problems {
		logger.Warn("mapping check against the live schemas", "problem", p.String())
	}
	return nil
}

// openLocked opens the store, waiting up to ten seconds while an offline
// command (checkpoint show, status) holds it; a second service does not
// release it, so that still fails.
func openLocked(ctx context.Context, dir string, opts *checkpoint.Options) (*checkpoint.Store, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		store, err := checkpoint.Open(dir, opts)
		if err == nil {
			return store, nil
		}
		if !errors.Is(err, checkpoint.ErrLocked) || time.Now().After(deadline) {
			return nil, fmt.Errorf("opening pebble store: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NewReaders builds one reader per source. store may be nil for commands
// that only ask a source for its position; with mappings, rows of tables no
// mapping names are skipped before they are decoded, except the backfill
// watermarks'.
func NewReaders(cfg *config.Config, store *checkpoint.Store, set *mapping.Set, logger *slog.Logger) map[string]*source.Reader {
	var history source.SchemaHistory
	if store != nil {
		history = store
	}
	readers := make(map[string]*source.Reader, len(cfg.Sources))
	for _, opts := range cfg.Sources {
		if set != nil {
			// The watermark and heartbeat tables' rows are read whatever
			// the mappings name: the backfill merger and the heartbeat
			// tracker need them, and strip them.
			name := opts.Name
			opts.Include = func(schema, table string) bool {
				return set.Includes(name, schema, table) || backfill.IsWatermark(schema, table) ||
					heartbeat.IsHeartbeat(schema, table)
			}
		}
		opts.History, opts.Logger = history, logger
		readers[opts.Name] = source.New(opts)
	}
	return readers
}

// preflight checks every source and reports every failure at once,
// waiting for those that cannot be reached yet (untilReachable).
func preflight(ctx context.Context, readers map[string]*source.Reader, logger *slog.Logger) error {
	var errs []error
	for name, r := range readers {
		if err := untilReachable(ctx, logger, "source "+name, func() error { return r.Preflight(ctx) }); err != nil {
			errs = append(errs, fmt.Errorf("source %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func openSinks(ctx context.Context, cfg *config.Config, store *checkpoint.Store, resolver *lookup.Resolver,
	lookupSources map[string][]string, replay *replayWindows, logger *slog.Logger) ([]Sink, error) {
	var sinks []Sink
	for _, sc := range cfg.Sinks {
		s, err := openSink(ctx, sc, store, resolver, lookupSources, replay, logger.With("sink", sc.Name))
		if err != nil {
			for _, open := range sinks {
				_ = open.Close()
			}
			return nil, fmt.Errorf("opening sink %s: %w", sc.Name, err)
		}
		sinks = append(sinks, s)
	}
	return sinks, nil
}

// openSink opens the sink sc configures. Each sink's settings come from the
// configuration as they are; only what the service owns (the failed store,
// the resolver and the sources each target's lookups query, the replay
// window, the logger) is added here.
func openSink(ctx context.Context, sc config.Sink, store *checkpoint.Store, resolver *lookup.Resolver,
	lookupSources map[string][]string, replay *replayWindows, logger *slog.Logger) (Sink, error) {
	switch sc.Type {
	case config.SinkJSONL:
		opts := *sc.JSONL
		opts.Logger = logger
		return jsonl.New(opts)
	case config.SinkMySQL:
		opts := *sc.MySQL
		opts.Failed, opts.Replay, opts.Logger = store, replay, logger
		if resolver != nil {
			opts.Resolver, opts.LookupSources = resolver, lookupSources
		}
		return mysqlsink.New(ctx, opts)
	case config.SinkKinesis:
		opts := *sc.Kinesis
		opts.Failed, opts.Logger = store, logger
		return kinesissink.New(ctx, opts)
	}
	return nil, fmt.Errorf("unsupported sink type %q", sc.Type)
}

// closeSinks closes every sink, joining their errors.
func closeSinks(sinks []Sink) error {
	var errs []error
	for _, s := range sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing sink: %w", err))
		}
	}
	return errors.Join(errs...)
}

// preflighter is a sink that can check, before anything streams, that its
// destination can take what it will be sent (Kinesis: the streams exist).
type preflighter interface {
	Preflight(ctx context.Context) error
}

// preflightSinks checks every sink that can be checked and reports every
// problem at once; sinks are in cfg.Sinks order.
func preflightSinks(ctx context.Context, cfg *config.Config, sinks []Sink) error {
	var errs []error
	for i, s := range sinks {
		if p, ok := s.(preflighter); ok {
			if err := p.Preflight(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sink %s: %w", cfg.Sinks[i].Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// runner is a sink with background work of its own (workers, calls in
// flight); Apply and Flush need it running.
type runner interface {
	Run(ctx context.Context) error
}

// collecting is a sink that exports metrics of its own.
type collecting interface {
	Collectors(name string) []prometheus.Collector
}

// registerSinkMetrics exports the metrics of the sinks that have some,
// labelled by sink name; sinks are in cfg.Sinks order.
func registerSinkMetrics(m *metrics.Metrics, cfg *config.Config, sinks []Sink) {
	for i, s := range sinks {
		if c, ok := s.(collecting); ok {
			m.Registry.MustRegister(c.Collectors(cfg.Sinks[i].Name)...)
		}
	}
}

// countingStore counts synced checkpoint writes in the metrics and tells
// the backfills which cursors became durable.
type countingStore struct {
	*checkpoint.Store
	m     *metrics.Metrics
	bfs   *backfills
	beats *heartbeat.Tracker
}

func (c countingStore) SaveCheckpoint(p map[string]change.Position, cs []checkpoint.Cursor) error {
	err := c.Store.SaveCheckpoint(p, cs)
	if err == nil {
		c.m.Checkpoints.Inc()
		c.bfs.saved(cs)
		c.beats.Saved(p)
	}
	return err
}

var (
	_ Sink = (*jsonl.Sink)(nil)
	_ Sink = (*mysqlsink.Sink)(nil)
	_ Sink = (*kinesissink.Sink)(nil)

	_ collecting  = (*kinesissink.Sink)(nil)
	_ preflighter = (*kinesissink.Sink)(nil)
	_ collecting  = (*mysqlsink.Sink)(nil)
	_ runner      = (*mysqlsink.Sink)(nil)
	_ runner      = (*kinesissink.Sink)(nil)

	_ mysqlsink.FailedStore   = (*checkpoint.Store)(nil)
	_ kinesissink.FailedStore = (*checkpoint.Store)(nil)
)

// plural returns n and the word for n things: "1 table", "2 tables".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// readiness returns the check behind /readyz: every source has its binlog
// connection open and every sink that can tell is writable.
func readiness(cfg *config.Config, readers map[string]*source.Reader, sinks []Sink) func(context.Context) error {
	type ready interface{ Ready(context.Context) error }
	return func(ctx context.Context) error {
		var errs []error
		for _, name := range cfg.SourceNames() {
			if !readers[name].Streaming() {
				errs = append(errs, fmt.Errorf("source %s: not streaming (connecting, or reconnecting after an error: see the log)", name))
			}
		}
		for i, s := range sinks {
			if r, ok := s.(ready); ok {
				if err := r.Ready(ctx); err != nil {
					errs = append(errs, fmt.Errorf("sink %s: %w", cfg.Sinks[i].Name, err))
				}
			}
		}
		return errors.Join(errs...)
	}
}
