package backfill

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// Defaults of the zero Options fields. Two workers keep the sinks busy
// while a chunk is read without doubling the source's read load more
// than once; 20,000 rows of a few hundred bytes are a few MiB per chunk
// held in memory, and chunks larger than that measured no faster.
const (
	DefaultChunkRows    = 1000
	DefaultChunkRowsMax = 20000
	DefaultChunkTime    = 500 * time.Millisecond
	DefaultWorkers      = 2
	DefaultLogInterval  = 10 * time.Second
)

// CursorStore saves cursors durably: the fresh cursors of a request,
// before its copy begins, so that a stop resumes it.
type CursorStore interface {
	SaveCursors([]checkpoint.Cursor) error
}

// Options configure the Backfiller of one source.
type Options struct {
	// Source is the source's configured name.
	Source string
	// DSN reaches the source's writer (go-sql-driver/mysql, with the
	// session settings of source.Options.DSN); it writes the watermarks
	// and reads the chunks.
	DSN string
	// Connector, when set, is used instead of DSN (it gives each new
	// connection a fresh password and the source's TLS).
	Connector driver.Connector
	// ChunkRows is the number of rows the first chunk of a table reads
	// (default DefaultChunkRows). A chunk is held in memory until its
	// high watermark comes through the stream.
	ChunkRows int
	// ChunkRowsMax bounds the chunk size as it adapts to ChunkTime
	// (default DefaultChunkRowsMax, raised to ChunkRows if below).
	ChunkRowsMax int
	// ChunkTime is how long the read of one chunk should take (default
	// DefaultChunkTime); negative keeps the chunk size at ChunkRows.
	ChunkTime time.Duration
	// Workers is how many tables are copied at once (default
	// DefaultWorkers); 1 with WatermarksGTID, whatever it says.
	Workers int
	// MaxRowsPerSecond caps the rows read per second over all workers; 0
	// is no cap.
	MaxRowsPerSecond int
	// MaxThreadsRunning holds chunks back while the source's
	// Threads_running is above it; 0 is off.
	MaxThreadsRunning int
	// Store saves the cursors of new requests.
	Store CursorStore
	// Watermarks is WatermarksTable (the default) or WatermarksGTID; see
	// marks.go. ReadDSN, GTID watermarks only, reaches the server the
	// chunks are read from, empty for DSN's. Flavor is change.MySQL,
	// change.MariaDB, or anything else to detect. MarkPosition asks the
	// source's stream for a position transaction (source.Reader's).
	Watermarks   string
	ReadDSN      string
	Flavor       string
	MarkPosition func()
	// LogInterval is how often progress is logged (default
	// DefaultLogInterval).
	LogInterval time.Duration
	Logger      *slog.Logger
}

// Backfiller copies the tables requested of one source through the
// source's Merger: up to Options.Workers tables at once, each by one
// worker. It is safe for concurrent use; Run does the copying.
//
// A worker reads its table's chunks in key order and keeps up to
// readAhead of them in flight: the next chunk is read as soon as the
// previous one's high watermark is written, while that one waits for the
// stream. A table is never split between workers, since a chunk's range
// starts after the previous chunk's last key. The cursor stays
// contiguous: the chunks' high watermarks come through the stream in the
// order they were read, each chunk's cursor rides its own, and a chunk
// whose predecessor was not merged (it has to be read again) is dropped
// by the Merger with it.
//
// With GTID watermarks a source copies one chunk at a time: one worker,
// no read-ahead, whatever Options.Workers says.
type Backfiller struct {
	opts     Options
	log      *slog.Logger
	merger   *Merger
	db       *sql.DB
	marks    watermarker
	throttle *throttle
	metrics  counters
	// readAhead is how many chunks of a table may be in flight at once:
	// the package's readAhead with watermark rows, 1 with GTID sets.
	readAhead int
	// run names this run's watermarks: a restart replays watermarks of
	// an earlier run from its checkpoint, which must not be taken for
	// this run's.
	run string
	// chunk numbers the chunks of this run.
	chunk atomic.Uint64
	// turn, with GTID watermarks, is held by the one window of the source
	// in flight, from its expectation to its outcome: a backfill chunk, a
	// resync window or a recheck chunk (the Merger keeps one such window
	// at a time). Nil with watermark rows, whose windows share the Merger.
	turn chan struct{}

	mu struct {
		sync.Mutex
		jobs map[string]*job // by schema.table
		// changed is closed, and replaced, when a table may have become
		// one for an idle worker to take.
		changed chan struct{}
	}
}

// job is one table's backfill.
type job struct {
	cursor checkpoint.Cursor
	// gen counts the requests of the table; a copy under way starts
	// again from the new cursor when it changes.
	gen uint64
	// err is the last error copying it, cleared by progress.
	err string
	// started is when this run began copying it.
	started time.Time
	// busy is set while a worker copies it.
	busy bool
}

// New returns the Backfiller of a source; it connects when it first needs
// the source.
func New(opts Options) (*Backfiller, error) {
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = DefaultChunkRows
	}
	if opts.ChunkRowsMax <= 0 {
		opts.ChunkRowsMax = DefaultChunkRowsMax
	}
	opts.ChunkRowsMax = max(opts.ChunkRowsMax, opts.ChunkRows)
	if opts.ChunkTime == 0 {
		opts.ChunkTime = DefaultChunkTime
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	ahead := readAhead
	if opts.Watermarks == WatermarksGTID {
		// A window bounded by GTID sets records every transaction of
		// the source from its expectation to its low set, and closes on
		// the stream's position alone, not on a row of its own: the
		// Merger keeps one such window at a time, so the source copies
		// one chunk at a time.
		opts.Workers, ahead = 1, 1
	}
	if opts.LogInterval <= 0 {
		opts.LogInterval = DefaultLogInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var db *sql.DB
	if opts.Connector != nil {
		db = sql.OpenDB(opts.Connector)
	} else {
		var err error
		if db, err = sql.Open("mysql", opts.DSN); err != nil {
			return nil, fmt.Errorf("opening the backfill connection of source %s: %w", opts.Source, err)
		}
	}
	// A connection per worker, and one for the throttle and requests.
	db.SetMaxOpenConns(opts.Workers + 1)
	db.SetMaxIdleConns(opts.Workers + 1)
	var id [12]byte
	_, _ = rand.Read(id[:]) // never fails
	log := opts.Logger.With("source", opts.Source, "component", "backfill")
	b := &Backfiller{opts: opts, log: log, merger: NewMerger(opts.Source, log), db: db,
		run: hex.EncodeToString(id[:]), metrics: newCounters(opts.Source), readAhead: ahead}
	if opts.Watermarks == WatermarksGTID {
		b.turn = make(chan struct{}, 1)
	}
	b.throttle = newThrottle(db, opts.MaxRowsPerSecond, opts.MaxThreadsRunning, log, func(reason string, seconds float64) {
		b.metrics.throttled.WithLabelValues(reason).Add(seconds)
	})
	b.mu.jobs = map[string]*job{}
	b.mu.changed = make(chan struct{})
	var err error
	if b.marks, err = newMarks(opts, db, b.merger, log); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return b, nil
}

// takeTurn waits until the source's window in flight, if GTID sets bound
// it, has its outcome, and returns the release of the turn it takes (a
// no-op with watermark rows, or when called again). Waiters are served in
// the order they came, so a resync or a recheck gets its windows between
// a backfill's chunks.
func (b *Backfiller) takeTurn(ctx context.Context) (func(), error) {
	if b.turn == nil {
		return func() {}, nil
	}
	select {
	case b.turn <- struct{}{}:
		return sync.OnceFunc(func() { <-b.turn }), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes the connections to the source.
func (b *Backfiller) Close() error { return errors.Join(b.marks.close(), b.db.Close()) }

// Intercept is the source's stream stage (see Merger.Intercept).
func (b *Backfiller) Intercept(ctx context.Context, txn *change.Txn) ([]checkpoint.Cursor, error) {
	return b.merger.Intercept(ctx, txn)
}

// Resume takes the cursors the store holds for the source: tables not
// done are copied on from them, done ones are shown in Status.
func (b *Backfiller) Resume(cursors []checkpoint.Cursor) {
	b.mu.Lock()
	for _, c := range cursors {
		if c.Source != b.opts.Source {
			continue
		}
		b.mu.jobs[c.QualifiedName()] = &job{cursor: c}
		if !c.Done {
			b.log.Info("resuming backfill", "table", c.QualifiedName(), "chunks", c.Chunks, "rows", c.Rows)
		}
	}
	b.mu.Unlock()
	b.poke()
}

// TableRef names a table of the source.
type TableRef struct{ Schema, Table string }

// QualifiedName returns "schema.table".
func (t TableRef) QualifiedName() string { return t.Schema + "." + t.Table }

// Prepare checks that each table can be copied (it exists, has a usable
// key, and where is a predicate the server accepts on it) and returns a
// fresh cursor for each, without saving or starting anything. It reports
// every refused table at once.
func (b *Backfiller) Prepare(ctx context.Context, tables []TableRef, where string) ([]checkpoint.Cursor, error) {
	if err := CheckWhere(where); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var out []checkpoint.Cursor
	var errs []error
	for _, t := range tables {
		p, err := NewPlan(ctx, b.db, t.Schema, t.Table, where)
		if err == nil && where != "" {
			err = b.tryWhere(ctx, p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("source %s, table %s: %w", b.opts.Source, t.QualifiedName(), err))
			continue
		}
		out = append(out, checkpoint.Cursor{Source: b.opts.Source, Schema: t.Schema, Table: t.Table,
			Key: p.KeyNames(), Where: p.Where, Estimate: estimate(ctx, b.db, p), Requested: now})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// tryWhere runs the first chunk query without rows, so a predicate the
// server cannot read is refused now rather than when the copy reaches it.
func (b *Backfiller) tryWhere(ctx context.Context, p *Plan) error {
	query, args := p.ChunkSQL(nil, 0)
	rows, err := b.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%w: the server refuses %q on %s: %w", ErrBadWhere, p.Where, p.Table.QualifiedName(), err)
	}
	return rows.Close()
}

// Start makes the watermark table if needed, saves the fresh cursors
// durably and queues them; a table already being copied starts again from
// its new cursor.
func (b *Backfiller) Start(ctx context.Context, cursors []checkpoint.Cursor) error {
	if len(cursors) == 0 {
		return nil
	}
	if err := b.EnsureWatermarkTable(ctx); err != nil {
		return err
	}
	if err := b.opts.Store.SaveCursors(cursors); err != nil {
		return fmt.Errorf("saving the backfill cursors of source %s: %w", b.opts.Source, err)
	}
	b.mu.Lock()
	for _, c := range cursors {
		j := b.mu.jobs[c.QualifiedName()]
		if j == nil {
			j = &job{}
			b.mu.jobs[c.QualifiedName()] = j
		}
		j.cursor, j.err, j.started = c, "", time.Time{}
		j.gen++
		b.log.Info("backfill requested", "table", c.QualifiedName(), "key", c.Key, "where", c.Where != "")
	}
	b.mu.Unlock()
	b.poke()
	return nil
}

// EnsureWatermarkTable makes the watermarks ready: creates the watermark
// table if it is missing, or checks that GTID watermarks can be taken.
func (b *Backfiller) EnsureWatermarkTable(ctx context.Context) error {
	if err := b.marks.ready(ctx); err != nil {
		return fmt.Errorf("source %s: %w", b.opts.Source, err)
	}
	return nil
}

// poke wakes the idle workers to look for a table.
func (b *Backfiller) poke() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.mu.changed)
	b.mu.changed = make(chan struct{})
}

// claim takes the first table, by name, that is not done and no worker
// copies, and returns its cursor and request generation; without one, it
// returns a channel closed when there may be one.
func (b *Backfiller) claim() (c checkpoint.Cursor, gen uint64, ok bool, changed <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make([]string, 0, len(b.mu.jobs))
	for name, j := range b.mu.jobs {
		if !j.cursor.Done && !j.busy {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return checkpoint.Cursor{}, 0, false, b.mu.changed
	}
	slices.Sort(names)
	j := b.mu.jobs[names[0]]
	j.busy = true
	if j.started.IsZero() {
		j.started = time.Now()
	}
	return j.cursor, j.gen, true, nil
}

// release hands the table back after a worker's copy of it ended: it may
// have been requested again meanwhile.
func (b *Backfiller) release(name string) {
	b.mu.Lock()
	if j := b.mu.jobs[name]; j != nil {
		j.busy = false
	}
	b.mu.Unlock()
	b.poke()
}

// Run copies the queued tables with Options.Workers workers until ctx
// ends. A table that fails is retried after a pause; an error that
// retrying cannot cure (the table lost its key, the predicate no longer
// reads) stops Run.
func (b *Backfiller) Run(ctx context.Context) error {
	defer b.merger.cancelAll()
	g, gctx := errgroup.WithContext(ctx)
	for range b.opts.Workers {
		g.Go(func() error { return b.work(gctx) })
	}
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// work is one worker: it copies one table after another until ctx ends.
func (b *Backfiller) work(ctx context.Context) error {
	for {
		c, gen, ok, changed := b.claim()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
				continue
			}
		}
		err := b.copyTable(ctx, c, gen)
		if err != nil && ctx.Err() == nil && c.Where != "" && !retryable(err) {
			// Ended before another worker may claim the table again.
			err = b.abandon(c.QualifiedName(), gen, err)
			b.release(c.QualifiedName())
			if err != nil {
				return err
			}
			continue
		}
		b.release(c.QualifiedName())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("backfilling %s on source %s: %w", c.QualifiedName(), b.opts.Source, err)
		}
	}
}

// current returns the table's cursor and whether the request c came from
// is still the table's latest.
func (b *Backfiller) current(name string, gen uint64) (checkpoint.Cursor, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.mu.jobs[name]
	if j == nil || j.gen != gen {
		return checkpoint.Cursor{}, false
	}
	return j.cursor, true
}

// advance records the cursor after a chunk, unless the table was
// requested again meanwhile.
func (b *Backfiller) advance(c checkpoint.Cursor, gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if j := b.mu.jobs[c.QualifiedName()]; j != nil && j.gen == gen {
		j.cursor, j.err = c, ""
	}
}

// abandon ends the backfill of a table whose predicate the server took
// when it was requested but fails on the rows (a subquery that finds
// several, a function that signals): the request is wrong, not the
// stream, so the table's copy ends, failed, and the service goes on. The
// cursor is saved done, with why, so a restart does not take it up again;
// a new request of the table replaces it.
func (b *Backfiller) abandon(name string, gen uint64, cause error) error {
	cur, ok := b.current(name, gen)
	if !ok {
		return nil // requested again meanwhile
	}
	why := mysqlerr.Redact(cause).Error()
	cur.Done, cur.Failed = true, "its predicate fails on the source's rows: "+why
	if err := b.opts.Store.SaveCursors([]checkpoint.Cursor{cur}); err != nil {
		return fmt.Errorf("saving the failed backfill of %s on source %s: %w", name, b.opts.Source, err)
	}
	b.mu.Lock()
	if j := b.mu.jobs[name]; j != nil && j.gen == gen {
		j.cursor, j.err = cur, cur.Failed
	}
	b.mu.Unlock()
	b.log.Error("backfill of the table failed and ended; the stream goes on: request it again with a predicate that holds",
		"table", name, "error", why)
	return nil
}

// failed records a retried error for Status.
func (b *Backfiller) failed(name string, gen uint64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if j := b.mu.jobs[name]; j != nil && j.gen == gen {
		j.err = err.Error()
	}
}

// describe loads the table's description again, to tell whether it
// changed while a chunk was read.
func (b *Backfiller) describe(ctx context.Context, t *change.Table) (*change.Table, error) {
	return decode.LoadTable(ctx, b.db, t.Schema, t.Name)
}
