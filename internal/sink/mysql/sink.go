package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/metrics"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// sessionSQLMode makes the target store values exactly as they were read:
// strict, so a value that does not fit fails instead of being truncated;
// NO_AUTO_VALUE_ON_ZERO, so a key of 0 stays 0 rather than taking the next
// AUTO_INCREMENT value; NO_ENGINE_SUBSTITUTION. NO_ZERO_DATE and
// NO_ZERO_IN_DATE are left out on purpose: zero dates read from the source
// must be written back as zero dates.
const sessionSQLMode = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION"

// Sink applies target operations to a MySQL or MariaDB database.
type Sink struct {
	db      *sql.DB
	opts    Options
	log     *slog.Logger
	workers []*worker
	// lanes group the workers, by the sources their tables look up;
	// byTable gives each listed target table's lane (see lanes.go).
	lanes   []*lane
	byTable map[string]*lane
	keys    *keyCache
	// prepared holds the prepared full upsert statements (prepared.go).
	prepared *preparedCache
	// updates remembers which runs of updates the target refuses in the
	// insert form (updateform.go).
	updates *updateForms
	// watch holds the target rows of recorded failures (see watch.go).
	watch *watch
	// acks counts each source's operations queued and done, for
	// FlushSource.
	acks *sourceAcks
	// failed counts the operations recorded as failed, conflicts the
	// unresolved unique key collisions, resolved the rows deleted because
	// an upsert collided with them; each by target table.
	failed, conflicts, resolved, rejected metrics.Counts
	// unchanged counts the updates not sent (see unchanged.go), seenBefore
	// the re-derivations not read nor sent (see seen.go).
	unchanged, seenBefore metrics.Counts
	// barriers counts the barriers applied, which reach rows by no key.
	barriers atomic.Uint64
	// remembered counts the rows the workers remember (unchanged.go),
	// evicted those dropped to make room for others.
	remembered atomic.Int64
	evicted    atomic.Uint64
	// retries counts the retries after transient target errors.
	retries atomic.Uint64
	// split is what the workers share to split runs (split.go).
	split splitShared
	// applySeconds times each target transaction, retries included;
	// lookupSeconds the reads of its lookups, part of it; batchOps counts
	// the operations of each batch a worker applies.
	applySeconds, lookupSeconds, batchOps prometheus.Histogram

	halt atomic.Pointer[error]
	// halted is closed when halt is set, waking whoever waits for
	// operations a halted worker will never apply.
	halted chan struct{}
	closed chan struct{}
	// running is set by Run; stopped is closed when Run returns.
	running atomic.Bool
	stopped chan struct{}
	once    sync.Once
}

// ErrStopped is returned by Apply and Flush once Run has returned.
var ErrStopped = errors.New("mysql sink stopped")

// New connects to the target and starts the workers. Every connection pins
// time_zone '+00:00' (TIMESTAMP values arrive in UTC), sessionSQLMode,
// utf8mb4, the merging of derived tables and, where the target allows it,
// READ COMMITTED (isolation.go); parameters are interpolated
// client side, so a statement costs one round trip and is not bound by the
// 65,535 placeholder limit.
func New(ctx context.Context, opts Options) (*Sink, error) {
	opts.ensureDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("configuring mysql sink: %w", err)
	}
	cfg, err := opts.DriverConfig()
	if err != nil {
		return nil, fmt.Errorf("configuring mysql sink: %w", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'" + sessionSQLMode + "'"
	// The insert form of a run of updates joins the table as a derived
	// table of renamed columns, which must merge into the join rather
	// than copy the table (see updateInsertSQL); merging is the default.
	cfg.Params["optimizer_switch"] = "'derived_merge=on'"
	cfg.Collation = "utf8mb4_general_ci"
	cfg.InterpolateParams = true
	cfg.Logger = mysqlerr.DriverLogger(opts.Logger)
	// A target that stops answering (a hung server, a dropped network
	// path) fails the statement after Timeout instead of holding a worker
	// forever: the retry is logged and counted. A DSN's own readTimeout
	// or writeTimeout wins.
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = opts.Timeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = opts.Timeout
	}
	connector, err := opts.Connector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configuring mysql sink connector: %w", err)
	}
	isolation, err := isolationVariable(ctx, connector)
	if err != nil {
		return nil, fmt.Errorf("connecting to mysql sink target %s: %w", cfg.Addr, err)
	}
	if isolation != "" {
		cfg.Params[isolation] = "'READ-COMMITTED'"
		if connector, err = opts.Connector(cfg); err != nil {
			return nil, fmt.Errorf("configuring mysql sink connector: %w", err)
		}
	} else {
		opts.Logger.Info("the target writes its binlog as statements: the workers write at its default isolation, "+
			"where they may deadlock each other on the gaps between their rows (retried)", "target", cfg.Addr)
	}
	lanes, byTable := newLanes(opts.LookupSources, opts.Workers)
	// One connection a worker, two for the sink's own queries, and as
	// many as the workers of a lane for the one worker that splits a run
	// (split.go).
	conns := len(lanes)*opts.Workers + 2 + opts.Workers
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connecting to mysql sink target %s: %w", cfg.Addr, err), db.Close())
	}
	s := &Sink{db: db, opts: opts, log: opts.Logger, lanes: lanes, byTable: byTable,
		closed: make(chan struct{}), stopped: make(chan struct{}), halted: make(chan struct{}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tributary_mysql_apply_seconds",
			Help:    "Time to apply one run of statements as a target transaction, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		lookupSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tributary_mysql_lookup_seconds",
			Help:    "Time to read the lookups of one run of statements from the sources, part of tributary_mysql_apply_seconds.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}),
		batchOps: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tributary_mysql_batch_operations",
			Help:    "Operations in each batch a worker applied, before compaction.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
	}
	if s.watch, err = newWatch(opts.Failed); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	s.keys = newKeyCache(db, s.log, &s.retries)
	s.prepared = newPreparedCache(db)
	s.updates = newUpdateForms(s.log)
	for _, l := range lanes {
		l.room = newBudget(max(MinMaxQueuedBytes, opts.MaxQueuedBytes/int64(len(lanes))))
	}
	s.acks = newSourceAcks(len(lanes) * opts.Workers)
	for _, l := range lanes {
		for i := range l.n {
			s.workers = append(s.workers, newWorker(l.first+i, l, s))
		}
		if l.sources != "" {
			s.log.Info("target tables that look up sources get workers of their own", "lookup_sources", l.sources,
				"workers", l.n, "tables", tablesOf(byTable, l))
		}
	}
	return s, nil
}

// Run applies what Apply queues, one goroutine per worker, until ctx ends
// or the sink is closed; Apply and Flush need it running. Permanent errors
// reach the caller through Apply and Flush, so Run returns nil.
func (s *Sink) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("mysql sink: Run called twice")
	}
	defer close(s.stopped)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Go(func() { w.run(ctx) })
	}
	select {
	case <-ctx.Done():
	case <-s.closed:
		cancel()
	}
	wg.Wait()
	return nil
}

// Apply queues the operations of txn. It returns once they are queued, not
// applied; Flush waits for them. Operations of one target row keep the
// order in which Apply received them. A TruncateTarget or ClearColumns is
// applied before Apply goes on, after every operation before it (see
// barrier.go). It blocks while the queues are full,
// so a large transaction is applied as its parts arrive.
func (s *Sink) Apply(ctx context.Context, txn *change.Txn) error {
	if err := s.haltErr(); err != nil {
		return err
	}
	if len(txn.Ops) == 0 {
		return nil
	}
	from := &origin{source: txn.Source, seq: txn.Seq, gtid: txn.GTID, pos: txn.Begin, begin: txn.Begin}
	if txn.Last {
		from.pos = txn.End
	}
	h := s.newHandOff(from)
	defer h.release()
	for i := range txn.Ops {
		op := &txn.Ops[i]
		if err := checkOp(op); err != nil {
			return h.sendAllThen(ctx, fmt.Errorf("applying transaction %d of %s: %w", txn.Seq, txn.Source, err))
		}
		if op.Kind.Barrier() {
			if err := h.sendAll(ctx); err != nil {
				return err
			}
			if err := s.applyBarrier(ctx, op, from); err != nil {
				return err
			}
			continue
		}
		w, err := s.route(ctx, op)
		if errors.Is(err, errUnfoldable) {
			w, err = s.routeToOneWorker(ctx, h, op)
		}
		if err != nil {
			return h.sendAllThen(ctx, err)
		}
		if err := h.add(ctx, w, op); err != nil {
			return err
		}
	}
	return h.sendAll(ctx)
}

// Flush returns once every operation queued by an Apply call that returned
// before Flush was called is committed, or failed and recorded under
// OnErrorRecord. Under OnErrorHalt it returns the permanent error, if any.
func (s *Sink) Flush(ctx context.Context) error {
	return s.flushWorkers(ctx, s.workers)
}

// flushWorkers is Flush for workers alone.
func (s *Sink) flushWorkers(ctx context.Context, workers []*worker) error {
	if err := s.haltErr(); err != nil {
		return err
	}
	acks := make([]chan error, len(workers))
	for i, w := range workers {
		acks[i] = make(chan error, 1)
		select {
		case w.in <- []item{{barrier: acks[i]}}:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		case <-s.stopped:
			return ErrStopped
		}
	}
	var errs []error
	for _, ack := range acks {
		select {
		case err := <-ack:
			if err != nil {
				errs = append(errs, err)
			}
		case <-s.halted:
			return s.haltErr()
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		case <-s.stopped:
			return ErrStopped
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("flushing mysql sink: %w", errs[0])
	}
	return nil
}

// Failed returns the number of operations recorded as failed since New.
func (s *Sink) Failed() uint64 { return s.failed.Total() }

// Unchanged returns the number of updates since New that were not sent,
// the sink's last write to their rows having left them as they would.
func (s *Sink) Unchanged() uint64 { return s.unchanged.Total() }

// SeenBefore returns the number of re-derivations neither read nor sent
// because the last write to their row read after their change (see
// seen.go).
func (s *Sink) SeenBefore() uint64 { return s.seenBefore.Total() }

// Conflicts returns the number of upserts since New that collided on a
// unique key with another row and were handed to the error policy.
func (s *Sink) Conflicts() uint64 { return s.conflicts.Total() }

// Resolved returns the number of rows deleted since New because an upsert
// collided with them on a unique key (in the replay window, or anywhere
// under OnConflictReplace).
func (s *Sink) Resolved() uint64 { return s.resolved.Total() }

// Close stops the workers, dropping what is queued but not flushed, waits
// for Run to return and closes the connections. Calling it again returns
// nil.
func (s *Sink) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		if s.running.Load() {
			<-s.stopped
		}
		s.prepared.close()
		if cerr := s.db.Close(); cerr != nil {
			err = fmt.Errorf("closing mysql sink: %w", cerr)
		}
	})
	return err
}

// haltErr returns the permanent error that halted the sink, ErrClosed
// after Close, ErrStopped after Run returned, or nil.
func (s *Sink) haltErr() error {
	if p := s.halt.Load(); p != nil {
		return *p
	}
	// Close stops Run too: closed is asked first, so a closed sink says so
	// rather than whichever of the two a select would pick.
	select {
	case <-s.closed:
		return ErrClosed
	default:
	}
	select {
	case <-s.stopped:
		return ErrStopped
	default:
		return nil
	}
}

// setHalt keeps the first permanent error.
func (s *Sink) setHalt(err error) {
	if s.halt.CompareAndSwap(nil, &err) {
		close(s.halted)
	}
}

// checkOp rejects operations the statements cannot be built from. A
// Rederive passes: it is never sent, and the worker hands it to the error
// policy like a Reject.
func checkOp(op *change.TargetOp) error {
	switch {
	case op.Target == nil || op.Target.Name == "" || len(op.Target.Key) == 0:
		return errors.New("target operation without a target table and key")
	case op.Kind < change.Upsert || op.Kind > change.ClearColumns:
		return fmt.Errorf("operation on %s has unknown kind %d", op.Target.QualifiedName(), op.Kind)
	case op.Kind == change.Rederive || op.Kind == change.TruncateTarget:
		return nil
	case op.Kind == change.ClearColumns && (len(op.Columns) == 0 || len(op.Columns) != len(op.Values)):
		return fmt.Errorf("clear on %s has %d columns and %d values", op.Target.QualifiedName(), len(op.Columns), len(op.Values))
	case op.Kind == change.ClearColumns:
		return nil
	case len(op.Key) != len(op.Target.Key):
		return fmt.Errorf("operation on %s has %d key values for %d key columns", op.Target.QualifiedName(), len(op.Key), len(op.Target.Key))
	case op.Kind == change.Upsert && (len(op.Columns) == 0 || len(op.Columns) != len(op.Values)):
		return fmt.Errorf("upsert on %s has %d columns and %d values", op.Target.QualifiedName(), len(op.Columns), len(op.Values))
	case op.Kind == change.Upsert && !hasKeyColumns(op):
		return fmt.Errorf("upsert on %s does not write every key column", op.Target.QualifiedName())
	case op.Kind == change.UpdateRow && len(op.Columns) != len(op.Values):
		return fmt.Errorf("update on %s has %d columns and %d values", op.Target.QualifiedName(), len(op.Columns), len(op.Values))
	case op.Kind == change.UpdateRow && len(op.Cond) != len(op.CondValues):
		return fmt.Errorf("update on %s has %d conditions and %d condition values", op.Target.QualifiedName(), len(op.Cond), len(op.CondValues))
	case op.Kind == change.DeleteRow && len(op.Pending) > 0:
		return fmt.Errorf("delete on %s has pending lookups", op.Target.QualifiedName())
	}
	for _, p := range op.Pending {
		if p.Lookup == nil {
			return fmt.Errorf("%s on %s has a pending lookup without a lookup", op.Kind, op.Target.QualifiedName())
		}
	}
	return nil
}

func hasKeyColumns(op *change.TargetOp) bool {
	for _, k := range op.Target.Key {
		if !slices.Contains(op.Columns, k) {
			return false
		}
	}
	return true
}

// Ready returns nil when the sink can write: it has not halted and the
// target answers a ping within ctx.
func (s *Sink) Ready(ctx context.Context) error {
	if err := s.haltErr(); err != nil {
		return err
	}
	if err := s.db.PingContext(ctx); err != nil {
		return mysqlerr.Redact(fmt.Errorf("reaching the target: %w", err))
	}
	return nil
}
