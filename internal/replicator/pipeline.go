package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// Reader streams one source's transactions in order.
type Reader interface {
	// Run sends transactions from start on out until ctx ends.
	Run(ctx context.Context, start change.Position, out chan<- *change.Txn) error
}

// Sink takes transaction parts and makes them durable. Sinks come in two
// kinds, by what they read of a part:
//
//   - change sinks (jsonl, Kinesis) take the source changes, Txn.Changes,
//     with both images, as the reader decoded them;
//   - table sinks (MySQL) take the target operations the mappings derived,
//     Txn.Ops.
//
// The pipeline maps a part only when a table sink will read it.
type Sink interface {
	// Apply hands over one transaction part; it may return before the part
	// is durable.
	Apply(ctx context.Context, txn *change.Txn) error
	// Flush returns once every part handed to Apply before the call is durable.
	Flush(ctx context.Context) error
	// Close releases the sink.
	Close() error
}

// PositionStore keeps checkpoints durably.
type PositionStore interface {
	// SaveCheckpoint writes all positions and backfill cursors in one
	// synced batch.
	SaveCheckpoint(map[string]change.Position, []checkpoint.Cursor) error
}

// Interceptor sees every part of one source, in stream order, before the
// mappings and the sinks, and may change it (the backfill merges the rows
// it copies into the stream so). The cursors it returns are saved with the
// first checkpoint that covers the part, so they are durable exactly when
// the part is.
type Interceptor func(context.Context, *change.Txn) ([]checkpoint.Cursor, error)

// Pipeline moves transactions from readers to sinks and checkpoints the
// positions the sinks have made durable.
type Pipeline struct {
	// Readers by source name, each started at Start[name].
	Readers map[string]Reader
	Start   map[string]change.Position
	// ChangeSinks take every part's source changes; TableSinks its
	// mapped operations.
	ChangeSinks []Sink
	TableSinks  []Sink
	Store       PositionStore
	// Interval between checkpoints; positions applied in between are
	// coalesced into one synced write.
	Interval time.Duration
	// Buffer is the number of transaction parts queued per source.
	Buffer int
	Logger *slog.Logger
	// Intercept holds, by source name, the stage each of the source's
	// parts goes through first.
	Intercept map[string]Interceptor
	// Map, when set, derives each part's target operations (txn.Ops)
	// before the sinks see it; only table sinks read them, so without
	// one it is not called.
	Map func(context.Context, *change.Txn) error
	// Expand, when set, turns the re-derivations of mapped parts into the
	// updates of the rows they reach, for several parts at once (see
	// prepare).
	Expand func(context.Context, []*change.Txn) error
	// OnRead, when set, is called with every part as its reader sent it;
	// OnApplied after every part is applied (metrics).
	OnRead    func(*change.Txn)
	OnApplied func(*change.Txn)
	// StopGrace is how long a stop request waits for the transactions in
	// flight to end (default checkpoint.DefaultStopGrace).
	StopGrace time.Duration
	// SinkNames names the sinks, for parts addressed to some of them
	// only (change.Txn.Sinks).
	SinkNames map[Sink]string

	// lastFlush bounds the flush of the last checkpoint (default 30 s).
	lastFlush time.Duration

	once  sync.Once
	prog  *progress
	stops stopState
	all   []Sink // change sinks, then table sinks
}

func (p *Pipeline) init() {
	p.once.Do(func() {
		p.prog = newProgress(p.Start)
		p.all = slices.Concat(p.ChangeSinks, p.TableSinks)
	})
}

// Run streams until ctx ends or a part fails, then flushes the sinks and
// writes a last checkpoint. It returns nil after a clean shutdown.
//
// The end of ctx is a request to stop. A source between transactions
// stops at once; a source in the middle of a large transaction, streamed
// in parts, goes on until its last part is handed to the sinks, for up to
// StopGrace, so that its position can be checkpointed and a restart
// repeats nothing. When the grace period ends first, the stream stops
// inside the transaction (logged as a warning, listed by Interruptions):
// a restart sends its first parts again. An error stops every source at
// once.
func (p *Pipeline) Run(ctx context.Context) error {
	p.init()
	if p.Interval <= 0 {
		p.Interval = checkpoint.DefaultInterval
	}
	if p.Buffer <= 0 {
		p.Buffer = 2
	}
	if p.StopGrace <= 0 {
		p.StopGrace = checkpoint.DefaultStopGrace
	}
	// hard ends the stream at once: on an error (through the group) or
	// when the grace period after a stop request is over.
	hard, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	stop, done := ctx.Done(), make(chan struct{})
	go func() {
		select {
		case <-stop:
			// A sink that cannot write (its target down) holds the part
			// it was handed until the grace period ends: say why the stop
			// may take that long.
			p.Logger.Info("stopping: each source stops at its next transaction boundary, a transaction in flight "+
				"within stop_grace; then the sinks make what they hold durable", "stop_grace", p.StopGrace)
		case <-done:
		}
	}()
	go afterGrace(stop, done, p.StopGrace, func() {
		p.stops.graceOver.Store(true)
		abort()
	})
	g, gctx := errgroup.WithContext(hard)
	for name, r := range p.Readers {
		ch := make(chan *change.Txn, p.Buffer)
		rctx, stopReader := context.WithCancel(gctx)
		g.Go(func() error {
			err := r.Run(rctx, p.Start[name], ch)
			close(ch)
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("reading source %s: %w", name, err)
			}
			return nil
		})
		g.Go(func() error {
			defer stopReader()
			return p.apply(gctx, stop, ch)
		})
	}
	g.Go(func() error { return p.checkpointLoop(gctx, stop) })
	err := g.Wait()
	close(done)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil
	}
	if errors.Is(err, checkpoint.ErrUnwritable) {
		return err // a last checkpoint would fail the same way
	}
	// The stream has stopped; make what was applied durable so a restart
	// does not replay it. A fresh context: the run's own is cancelled.
	lastFlush := p.lastFlush
	if lastFlush <= 0 {
		lastFlush = 30 * time.Second
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastFlush)
	defer cancel()
	if ferr := p.checkpoint(fctx); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

// Interruptions lists the transactions the last stop cut short, when its
// grace period ended before they did.
func (p *Pipeline) Interruptions() []Interrupted {
	return p.stops.list()
}

// apply hands every part from ch to every sink in order, until ctx ends or
// stop is closed at a transaction boundary.
func (p *Pipeline) apply(ctx context.Context, stop <-chan struct{}, ch <-chan *change.Txn) error {
	// open is the last part handed over of a transaction whose last part
	// has not been: stopping now would cut it.
	var open *change.Txn
	defer func() {
		if open != nil && p.stops.graceOver.Load() {
			p.stops.interrupted(open, p.Logger, p.StopGrace)
		}
	}()
	draining := false
	for {
		var txn *change.Txn
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			if open == nil {
				return nil
			}
			if !draining {
				draining = true
				p.Logger.Info("stopping after the transaction in flight", "source", open.Source,
					"gtid", open.GTID, "begin", open.Begin.String(), "parts_sent", open.Part+1, "stop_grace", p.StopGrace)
			}
			stop = nil // closed: wait for the transaction's last part
			continue
		case txn, ok = <-ch:
			if !ok {
				return nil
			}
		}
		if open == nil && closed(stop) {
			return nil // between transactions: nothing of txn was handed over
		}
		group, err := p.prepare(ctx, txn, ch, !draining && !closed(stop))
		if err != nil {
			return err
		}
		for _, g := range group {
			// From here a sink may hold the part, whole or in pieces.
			open = g.txn
			if err := p.handOver(ctx, g.txn); err != nil {
				return err
			}
			p.prog.applied(g.txn, g.cursors)
			if p.OnApplied != nil {
				p.OnApplied(g.txn)
			}
			if g.txn.Last {
				open = nil
			}
		}
		if open == nil && draining {
			return nil
		}
	}
}

// prepared is a part ready for the sinks, with the backfill cursors it
// carries.
type prepared struct {
	txn     *change.Txn
	cursors []checkpoint.Cursor
}

// Parts whose mappings re-derive rows are expanded in groups: a part that
// re-derives takes with it the parts right behind it, so that one search
// of the source serves them all. A group holds at most gatherParts parts
// of at most gatherChanges changes in all, each part arriving within
// gatherWait of the one before. Only a part that re-derives waits; the
// others go on at once.
const (
	gatherParts   = 256
	gatherChanges = 4096
	gatherWait    = time.Millisecond
)

// prepare runs txn through the source's intercept stage and the mappings
// and returns it, with, when it re-derives rows and gather is set, the
// parts that follow it on ch within the bounds above, each prepared in
// turn and their re-derivations expanded together.
func (p *Pipeline) prepare(ctx context.Context, txn *change.Txn, ch <-chan *change.Txn, gather bool) ([]prepared, error) {
	mapped := p.Map != nil && len(p.TableSinks) > 0
	var group []prepared
	changes, rederives := 0, false
	for txn != nil {
		if p.OnRead != nil {
			p.OnRead(txn)
		}
		g := prepared{txn: txn}
		if f := p.Intercept[txn.Source]; f != nil {
			var err error
			if g.cursors, err = f(ctx, txn); err != nil {
				return nil, fmt.Errorf("merging backfill rows into transaction %d of %s at %s: %w", txn.Seq, txn.Source, txn.Begin, err)
			}
		}
		if mapped {
			if err := p.Map(ctx, txn); err != nil {
				return nil, fmt.Errorf("mapping transaction %d of %s at %s: %w", txn.Seq, txn.Source, txn.Begin, err)
			}
		}
		group = append(group, g)
		changes += len(txn.Changes)
		rederives = rederives || hasRederive(txn.Ops)
		if !mapped || p.Expand == nil || !rederives || !gather || len(group) >= gatherParts || changes >= gatherChanges {
			break
		}
		txn = next(ctx, ch, gatherWait)
	}
	if !rederives {
		return group, nil
	}
	txns := make([]*change.Txn, len(group))
	for i, g := range group {
		txns[i] = g.txn
	}
	if err := p.Expand(ctx, txns); err != nil {
		first, last := txns[0], txns[len(txns)-1]
		if first == last {
			return nil, fmt.Errorf("mapping transaction %d of %s at %s: %w", first.Seq, first.Source, first.Begin, err)
		}
		return nil, fmt.Errorf("mapping transactions %d to %d of %s from %s: %w", first.Seq, last.Seq, first.Source, first.Begin, err)
	}
	return group, nil
}

// next returns the next part on ch if one arrives within wait; nil when
// none does, ch is closed or ctx ends.
func next(ctx context.Context, ch <-chan *change.Txn, wait time.Duration) *change.Txn {
	select {
	case txn := <-ch:
		return txn
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case txn := <-ch:
		return txn
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// hasRederive reports whether ops re-derive rows.
func hasRederive(ops []change.TargetOp) bool {
	for i := range ops {
		if ops[i].Kind == change.Rederive {
			return true
		}
	}
	return false
}

// handOver applies txn to every sink, a bare part to the sinks it is not
// addressed to.
func (p *Pipeline) handOver(ctx context.Context, txn *change.Txn) error {
	for _, s := range p.all {
		part := txn
		if txn.Sinks != nil && !slices.Contains(txn.Sinks, p.SinkNames[s]) {
			part = txn.Bare()
		}
		if err := s.Apply(ctx, part); err != nil {
			return fmt.Errorf("applying transaction %d of %s: %w", txn.Seq, txn.Source, err)
		}
	}
	return nil
}

// checkpoint flushes every sink and then saves the positions that were
// applied before the flush began, with the backfill cursors their parts
// carried: those are durable in every sink now. It makes the last
// checkpoint when the stream has stopped.
func (p *Pipeline) checkpoint(ctx context.Context) error {
	sources := p.prog.sources()
	if len(sources) == 0 {
		return nil
	}
	// Each source on its own, as the loop does: a source whose sink
	// cannot finish (a lookup source that is down) loses its own last
	// checkpoint only.
	fs := make([]*flush, len(sources))
	var wg sync.WaitGroup
	for i, source := range sources {
		f := &flush{source: source}
		f.pos, f.hasPos, f.cursors = p.prog.take(source)
		fs[i] = f
		wg.Go(func() { f.err = p.flushSource(ctx, source) })
	}
	wg.Wait()
	pos := map[string]change.Position{}
	var cursors []checkpoint.Cursor
	var errs []error
	for _, f := range fs {
		if f.err != nil {
			p.prog.saved(nil, f.cursors, errNotSaved)
			errs = append(errs, fmt.Errorf("flushing sinks before the last checkpoint of source %s: %w", f.source, f.err))
			continue
		}
		if f.hasPos {
			pos[f.source] = f.pos
		}
		cursors = append(cursors, f.cursors...)
	}
	if err := p.save(pos, cursors); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckpointAges returns, per source, the seconds since its checkpoint
// was last saved while it has applied changes not saved yet, else 0.
func (p *Pipeline) CheckpointAges() map[string]float64 {
	p.init()
	return p.prog.checkpointAges()
}

// Status returns every source's progress, sorted by source name.
func (p *Pipeline) Status() []Status {
	p.init()
	st := p.prog.status()
	sort.Slice(st, func(i, j int) bool { return st[i].Source < st[j].Source })
	return st
}
