package kinesis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/metrics"
)

// ErrClosed is returned by Apply and Flush after Close.
var ErrClosed = errors.New("kinesis sink closed")

// maxKeptScratch is the largest encoding buffer kept between changes.
const maxKeptScratch = 2 * MaxRecordBytes

// Sink sends every row change to Kinesis Data Streams (see the package doc).
type Sink struct {
	opts   Options
	log    *slog.Logger
	api    PutRecordsAPI
	enc    *encoder
	routes []*route
	// dms keeps the dms format's state across transactions.
	dms *dmsState
	// byTable caches the route of each "schema.table".
	byTable sync.Map
	// closeIdle closes the idle connections of the client the sink built.
	closeIdle func()

	sent, retried, failed atomic.Uint64
	// throttled counts, by stream, the records Kinesis refused for want
	// of throughput (per record, or with a whole call refused so).
	throttled metrics.Counts

	wake chan struct{}
	wg   sync.WaitGroup // the dispatcher, the calls in flight and the shard map readers
	once sync.Once

	mu struct {
		sync.Mutex
		streams map[string]*streamQueue
		retries retryHeap
		// nextID is the id of the last record queued; acked the highest id
		// up to which every record is acknowledged or recorded as failed;
		// done the ids above acked already settled.
		nextID, acked uint64
		done          map[uint64]struct{}
		// unacked counts the bytes of records not yet acknowledged.
		unacked int64
		// progress is closed and replaced whenever records settle or the
		// sink stops, waking Flush and a blocked Apply.
		progress chan struct{}
		flushers int
		inFlight int
		// After a call fails as a whole, no call starts before pauseUntil.
		callFailures int
		pauseUntil   time.Time
		// unpaced lists the streams whose shard map Run has yet to read.
		unpaced []*streamQueue
		// stopRun ends Run; set while it runs.
		stopRun context.CancelFunc
		err     error
		closed  bool
	}
}

// ErrStopped is returned by Apply and Flush once Run has returned.
var ErrStopped = errors.New("kinesis sink stopped")

// New checks opts and builds the Kinesis client (unless opts.Client is
// set); Run sends.
func New(ctx context.Context, opts Options) (*Sink, error) {
	opts.ensureDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("configuring kinesis sink: %w", err)
	}
	s := &Sink{opts: opts, log: opts.Logger.With("sink_type", "kinesis"), api: opts.Client,
		enc: newEncoder(opts.Format), routes: compileRoutes(&opts), closeIdle: func() {},
		wake: make(chan struct{}, 1), dms: newDMSState()}
	if s.api == nil {
		api, closeIdle, err := newClient(ctx, &opts)
		if err != nil {
			return nil, err
		}
		s.api, s.closeIdle = api, closeIdle
	}
	s.mu.streams = map[string]*streamQueue{}
	s.mu.done = map[uint64]struct{}{}
	s.mu.progress = make(chan struct{})
	s.log.Info("kinesis sink opened", "stream", opts.Stream, "routes", len(opts.Routes), "format", opts.Format)
	return s, nil
}

// Sent returns the number of changes Kinesis acknowledged since New; an
// update sent as two records counts once both are.
func (s *Sink) Sent() uint64 { return s.sent.Load() }

// Retried returns the number of Kinesis records sent again after a failure.
func (s *Sink) Retried() uint64 { return s.retried.Load() }

// Failed returns the number of records recorded in the failed store: one
// per change, one per record of an update sent as two.
func (s *Sink) Failed() uint64 { return s.failed.Load() }

// Apply queues one record per row change of txn, two for an update that
// changes its partition key (see split.go), then sends a control record
// for each table statement of txn to every shard as a barrier (see
// control.go). It returns before Kinesis
// acknowledged them, and blocks while more than MaxBufferedBytes are
// unacknowledged. It is safe for concurrent use.
func (s *Sink) Apply(ctx context.Context, txn *change.Txn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Check the whole part and key it first, so a malformed change or a
	// failing key expression queues nothing. oldKeys[i] is set for an
	// update that goes as two records.
	keys := make([]string, len(txn.Changes))
	var oldKeys map[int]string
	for i := range txn.Changes {
		if err := envelope.Check(&txn.Changes[i]); err != nil {
			return fmt.Errorf("encoding change %d of transaction %d from %s: %w", i, txn.Seq, txn.Source, err)
		}
		r := s.routeOf(txn.Changes[i].Table.QualifiedName())
		if r.stream == "" {
			continue
		}
		var err error
		if keys[i], err = r.key(txn, i); err != nil {
			return fmt.Errorf("change %d of transaction %d from %s: %w", i, txn.Seq, txn.Source, err)
		}
		old, err := r.oldKey(txn, i, keys[i])
		if err != nil {
			return fmt.Errorf("change %d of transaction %d from %s: %w", i, txn.Seq, txn.Source, err)
		}
		if old != "" {
			if oldKeys == nil {
				oldKeys = map[int]string{}
			}
			oldKeys[i] = old
		}
	}
	for j := range txn.DDL {
		if err := envelope.CheckDDL(&txn.DDL[j]); err != nil {
			return fmt.Errorf("encoding table statement %d of transaction %d from %s: %w", j, txn.Seq, txn.Source, err)
		}
	}
	if err := s.usable(); err != nil {
		return err
	}
	var prev dms.Prev
	var last map[string]int
	if s.opts.Format == FormatDMS {
		prev = s.dms.begin(txn)
		last = s.lastRecords(txn)
		if s.opts.DMS.controlDetails() {
			if err := s.describeTables(ctx, txn); err != nil {
				return err
			}
		}
	}
	var scratch []byte
	for i := range txn.Changes {
		r := s.routeOf(txn.Changes[i].Table.QualifiedName())
		if r.stream == "" {
			continue
		}
		row := txn.FirstRow + i
		if txn.Changes[i].Op != change.Read {
			// A backfilled row is a full load record, of no transaction.
			s.dms.sent(txn, row)
		}
		// The transaction's last record on the stream, or not (see
		// lastRecords).
		isLast := txn.Last && last[r.stream] == i
		at := dms.Context{Prev: prev, Last: isLast, Inner: !isLast}
		old, split := oldKeys[i]
		if !split {
			var err error
			if scratch, err = s.queue(ctx, r, txn, i, row, at, keys[i], envelope.WholeChange, nil, scratch); err != nil {
				return err
			}
			continue
		}
		// Both halves carry the update's row index: together they are
		// the change that index names.
		p := &pair{}
		for _, k := range halves {
			pk := keys[i]
			half := at
			if k == envelope.DeleteOld {
				pk = old
				half.Inner = true
			}
			var err error
			if scratch, err = s.queue(ctx, r, halfTxn(txn, i, k), 0, row, half, pk, k, p, scratch); err != nil {
				return err
			}
		}
	}
	if len(txn.DDL) > 0 {
		return s.applyDDL(ctx, txn, prev, last)
	}
	return nil
}

// queue encodes txn.Changes[i] as one record keyed pk and queues it, or
// records it in the failed store when it does not fit. row is its index in
// the whole transaction; for a half k of a split update, txn holds only
// the half and p is shared with the other half. It returns scratch for
// reuse.
func (s *Sink) queue(ctx context.Context, r *route, txn *change.Txn, i, row int, at dms.Context, pk string,
	k envelope.KeyChange, p *pair, scratch []byte) ([]byte, error) {
	scratch = s.enc.appendRecord(scratch[:0], txn, i, row, at, r, k)
	data := scratch
	if len(data)+len(pk) > MaxRecordBytes {
		var fits bool
		if r.oversize == OversizeDropColumns {
			data, fits = s.enc.shrink(nil, txn, i, row, at, r, k, len(pk), len(data))
		}
		if !fits {
			msg := fmt.Sprintf("record of %d bytes exceeds Kinesis's 1 MiB", len(scratch)+len(pk))
			if p != nil {
				s.mu.Lock()
				p.failed = true
				s.mu.Unlock()
			}
			if err := s.recordFailed(originOf(txn, i, k, true), r.stream, msg); err != nil {
				s.mu.Lock()
				s.haltLocked(err)
				s.mu.Unlock()
				return nil, err
			}
			return nil, nil
		}
		s.log.Warn("sending oversize change with column values replaced by markers",
			"table", txn.Changes[i].Table.QualifiedName(), "stream", r.stream, "source", txn.Source,
			"key_change", k.String(), "bytes", len(scratch)+len(pk), "sent_bytes", len(data)+len(pk))
	}
	rec := &record{data: bytes.Clone(data), size: len(data) + len(pk), aggregate: r.aggregate,
		origin: originOf(txn, i, k, false), pair: p}
	if cap(scratch) > maxKeptScratch {
		scratch = nil
	}
	return scratch, s.enqueue(ctx, r.stream, pk, rec)
}

// originOf describes txn.Changes[i], the k half of a split update unless k
// is WholeChange, for the failed store: the key is what the envelope's key
// holds, the whole image without a primary key. A queued record keeps its
// origin until acknowledged, so there it takes only primary key values
// (image false): a row of a table without one may be large.
func originOf(txn *change.Txn, i int, k envelope.KeyChange, image bool) origin {
	c := &txn.Changes[i]
	o := origin{source: txn.Source, gtid: txn.GTID, table: c.Table.QualifiedName(), op: c.Op.String(), pos: txn.Begin,
		half: k}
	if txn.Last {
		o.pos = txn.End
	}
	if len(c.Table.PrimaryKey) > 0 {
		o.key = c.Key(c.Identity())
	} else if image {
		o.key = c.Identity()
	}
	return o
}

// usable returns why the sink cannot take more work, or nil.
func (s *Sink) usable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usableLocked()
}

// routeOf returns the route of table name ("schema.table"), caching it.
func (s *Sink) routeOf(name string) *route {
	if r, ok := s.byTable.Load(name); ok {
		return r.(*route)
	}
	r := matchRoute(s.routes, name)
	if _, loaded := s.byTable.LoadOrStore(name, r); !loaded && r.stream == "" {
		s.log.Info("not sending changes of a table no route matches (the sink has no stream)", "table", name)
	}
	return r
}

// enqueue queues rec once no more than MaxBufferedBytes are unacknowledged.
func (s *Sink) enqueue(ctx context.Context, stream, pk string, rec *record) error {
	s.mu.Lock()
	for s.mu.unacked > s.opts.MaxBufferedBytes {
		if err := s.usableLocked(); err != nil {
			s.mu.Unlock()
			return err
		}
		ch := s.mu.progress
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if err := s.usableLocked(); err != nil {
		return err
	}
	rec.queued = time.Now()
	s.addLocked(stream, pk, rec)
	s.signal()
	return nil
}

// Flush returns once Kinesis acknowledged every record queued before the
// call (or the change was recorded as failed). It returns the sink's error
// if it stopped, and ctx's if ctx ends first.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.mu.nextID
	s.mu.flushers++
	defer func() { s.mu.flushers-- }()
	s.signal()
	for {
		if err := s.usableLocked(); err != nil {
			return err
		}
		if s.mu.acked >= target {
			return nil
		}
		ch := s.mu.progress
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			s.mu.Lock()
			return fmt.Errorf("flushing kinesis sink with %d records unacknowledged: %w",
				s.mu.nextID-s.mu.acked-uint64(len(s.mu.done)), ctx.Err())
		case <-ch:
		}
		s.mu.Lock()
	}
}

// Close stops sending and releases the client. Records not yet
// acknowledged are dropped; the checkpoint has not passed them, so they
// are sent again after a restart.
func (s *Sink) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.mu.closed = true
		pending := s.mu.nextID - s.mu.acked - uint64(len(s.mu.done))
		s.broadcastLocked()
		if s.mu.stopRun != nil {
			s.mu.stopRun()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.closeIdle()
		if pending > 0 {
			s.log.Warn("kinesis sink closed with records unacknowledged", "records", pending)
		}
	})
	return nil
}

// Run sends what Apply queues, starting calls whenever one is due and
// allowed, until ctx ends or the sink is closed; Apply and Flush need it
// running. The calls in flight end with it: records they carried are not
// acknowledged, so the checkpoint has not passed them. Failures reach the
// caller through Apply and Flush, so Run returns nil.
func (s *Sink) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	switch {
	case s.mu.closed:
		s.mu.Unlock()
		return nil
	case s.mu.stopRun != nil:
		s.mu.Unlock()
		return errors.New("kinesis sink: Run called twice")
	}
	s.mu.stopRun = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	s.run(ctx)
	s.wg.Wait()
	s.mu.Lock()
	if s.mu.err == nil {
		s.mu.err = ErrStopped
	}
	s.broadcastLocked()
	s.mu.Unlock()
	return nil
}

// run starts calls whenever one is due and allowed, and reads the shard
// maps of new streams, until ctx ends.
func (s *Sink) run(ctx context.Context) {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for _, st := range s.mu.unpaced {
			s.wg.Add(1)
			go s.loadShards(ctx, st)
		}
		s.mu.unpaced = nil
		now := time.Now()
		s.promoteLocked(now)
		for b := s.nextBatchLocked(now); b != nil; b = s.nextBatchLocked(now) {
			s.mu.inFlight++
			s.wg.Add(1)
			go s.put(ctx, b)
		}
		next := s.nextWakeLocked()
		s.mu.Unlock()
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick:
		}
	}
}

// signal wakes the dispatcher.
func (s *Sink) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// broadcastLocked wakes everything waiting for progress.
func (s *Sink) broadcastLocked() {
	close(s.mu.progress)
	s.mu.progress = make(chan struct{})
}

// haltLocked stops the sink with err, the first error kept.
func (s *Sink) haltLocked(err error) {
	if s.mu.err != nil {
		return
	}
	s.mu.err = err
	s.log.Error("kinesis sink stopped", "error", err)
	s.broadcastLocked()
}

// usableLocked returns why the sink cannot take more work, or nil.
func (s *Sink) usableLocked() error {
	if s.mu.closed {
		return ErrClosed
	}
	return s.mu.err
}
