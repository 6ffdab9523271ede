package replicator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// scriptedReader sends fixed parts, then blocks until cancelled; it stands
// in for a source so the checkpoint rules can be pinned precisely.
type scriptedReader struct {
	parts []*change.Txn
	sent  chan struct{}
}

func (r *scriptedReader) Run(ctx context.Context, _ change.Position, out chan<- *change.Txn) error {
	for _, p := range r.parts {
		select {
		case out <- p:
		case <-ctx.Done():
			return nil
		}
	}
	close(r.sent)
	<-ctx.Done()
	return nil
}

// flakySink accepts parts and fails Flush while fail is set.
type flakySink struct {
	mu      sync.Mutex
	applied []*change.Txn
	flushed int
	fail    bool
}

func (s *flakySink) Apply(_ context.Context, txn *change.Txn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = append(s.applied, txn)
	return nil
}

func (s *flakySink) Flush(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	s.flushed = len(s.applied)
	return nil
}

func (s *flakySink) Close() error { return nil }

func pos(n uint32) change.Position {
	return change.Position{Flavor: change.MariaDB, File: "mysql-bin.000001", Pos: n}
}

func runPipeline(t *testing.T, parts []*change.Txn, sink *flakySink) (*checkpoint.Store, error) {
	t.Helper()
	return runIntercepted(t, parts, sink, nil)
}

func runIntercepted(t *testing.T, parts []*change.Txn, sink *flakySink, intercept Interceptor) (*checkpoint.Store, error) {
	t.Helper()
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := &scriptedReader{parts: parts, sent: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
		ChangeSinks: []Sink{sink}, Store: store, Interval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if intercept != nil {
		p.Intercept = map[string]Interceptor{"a": intercept}
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	select {
	case <-r.sent:
	case err := <-errc:
		cancel()
		return store, err
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	return store, <-errc
}

// A position inside a transaction is never checkpointed: only the last
// part's End is, and only after the sink flushed it.
func TestCheckpointOnlyAtTransactionEnd(t *testing.T) {
	parts := []*change.Txn{
		{Source: "a", Seq: 1, Last: true, End: pos(100)},
		{Source: "a", Seq: 2, Part: 0, End: pos(150)},
		{Source: "a", Seq: 2, Part: 1, End: pos(180)},
	}
	sink := &flakySink{}
	store, err := runPipeline(t, parts, sink)
	require.NoError(t, err)
	got, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(100), got, "the unfinished transaction 2 must not move the checkpoint")
	require.Equal(t, 3, sink.flushed)
}

// A sink that cannot make changes durable stops the pipeline and leaves
// the checkpoint where it was.
func TestFailedFlushKeepsCheckpoint(t *testing.T) {
	parts := []*change.Txn{{Source: "a", Seq: 1, Last: true, End: pos(100)}}
	sink := &flakySink{fail: true}
	store, err := runPipeline(t, parts, sink)
	require.ErrorContains(t, err, "disk full")
	_, err = store.Position("a")
	require.ErrorIs(t, err, checkpoint.ErrNotFound)
}

// Many transactions between two ticks cost one synced write.
func TestCheckpointsCoalesce(t *testing.T) {
	var parts []*change.Txn
	for i := range 500 {
		parts = append(parts, &change.Txn{Source: "a", Seq: uint64(i + 1), Last: true, End: pos(uint32(100 + i))})
	}
	store, err := runPipeline(t, parts, &flakySink{})
	require.NoError(t, err)
	got, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(599), got)
	require.Less(t, store.Syncs(), uint64(50), "checkpoints must coalesce, not sync per transaction")
}

// A position is saved once the flush that the next tick begins completes,
// not a tick later: a transaction applied at the start is durable about
// one interval in, where it used to wait for the second tick.
func TestCheckpointFollowsItsFlush(t *testing.T) {
	const interval = 500 * time.Millisecond
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := &scriptedReader{parts: []*change.Txn{{Source: "a", Seq: 1, Last: true, End: pos(100)}}, sent: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
		ChangeSinks: []Sink{&flakySink{}}, Store: store, Interval: interval,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- p.Run(ctx) }()
	for {
		if got, err := store.Position("a"); err == nil {
			require.Equal(t, pos(100), got)
			break
		}
		require.Less(t, time.Since(start), 2*interval, "the checkpoint waited for a second tick")
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	require.Less(t, took, interval*9/5, "saved %s after the start", took)
	require.GreaterOrEqual(t, took, interval*9/10, "saved before the first tick")
	cancel()
	require.NoError(t, <-errc)
	require.Equal(t, uint64(1), store.Syncs(), "one synced write")
}

// The cursors an interceptor returns for a part are saved with the
// checkpoint that covers the part, never before its sinks flushed it.
func TestInterceptedCursorsGoWithTheCheckpoint(t *testing.T) {
	cursor := func(rows uint64) checkpoint.Cursor {
		return checkpoint.Cursor{Source: "a", Schema: "s", Table: "t", Key: []string{"id"},
			After: []change.Value{int64(rows)}, Chunks: rows / 10, Rows: rows}
	}
	intercept := func(_ context.Context, txn *change.Txn) ([]checkpoint.Cursor, error) {
		txn.Changes = append(txn.Changes, change.RowChange{Op: change.Read})
		if txn.Seq == 2 || txn.Seq == 3 {
			return []checkpoint.Cursor{cursor(txn.Seq * 10)}, nil
		}
		return nil, nil
	}
	parts := []*change.Txn{
		{Source: "a", Seq: 1, Last: true, End: pos(100)},
		{Source: "a", Seq: 2, Last: true, End: pos(200)},
		{Source: "a", Seq: 3, Last: true, End: pos(300)},
	}
	sink := &flakySink{}
	store, err := runIntercepted(t, parts, sink, intercept)
	require.NoError(t, err)
	got, err := store.Cursors()
	require.NoError(t, err)
	require.Equal(t, []checkpoint.Cursor{cursor(30)}, got)
	p, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(300), p)
	for _, txn := range sink.applied {
		require.Len(t, txn.Changes, 1, "the sinks see the intercepted parts")
	}

	// A sink that cannot flush keeps the cursor unsaved, as the position.
	store, err = runIntercepted(t, parts[:2], &flakySink{fail: true}, intercept)
	require.ErrorContains(t, err, "disk full")
	got, err = store.Cursors()
	require.NoError(t, err)
	require.Empty(t, got)
}

// fedReader sends the parts the test hands it, one at a time, until
// cancelled.
type fedReader struct{ parts chan *change.Txn }

func (r *fedReader) Run(ctx context.Context, _ change.Position, out chan<- *change.Txn) error {
	for {
		select {
		case p := <-r.parts:
			select {
			case out <- p:
			case <-ctx.Done():
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// A stop in the middle of a transaction streamed in parts waits for its
// last part, up to the grace period: then its position is checkpointed
// and a restart repeats nothing. When the grace period ends first, the
// stop is clean but says which transaction it cut.
func TestStopWaitsForTransactionInFlight(t *testing.T) {
	tests := []struct {
		name     string
		grace    time.Duration
		lastPart bool // the reader sends the last part after the stop
		want     change.Position
		cut      []Interrupted
	}{
		{"last part within the grace period", 10 * time.Second, true, pos(300), nil},
		{"grace period over", 50 * time.Millisecond, false, pos(100),
			[]Interrupted{{Source: "a", GTID: "0-1-2", Begin: pos(100), Parts: 2, Changes: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := checkpoint.Open(t.TempDir(), nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = store.Close() })
			r := &fedReader{parts: make(chan *change.Txn)}
			sink := &flakySink{}
			p := &Pipeline{
				Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
				ChangeSinks: []Sink{sink}, Store: store, Interval: time.Minute, StopGrace: tt.grace,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			ctx, cancel := context.WithCancel(t.Context())
			errc := make(chan error, 1)
			go func() { errc <- p.Run(ctx) }()
			row := change.RowChange{Op: change.Insert}
			r.parts <- &change.Txn{Source: "a", Seq: 1, Last: true, End: pos(100)}
			r.parts <- &change.Txn{Source: "a", Seq: 2, GTID: "0-1-2", Begin: pos(100), Changes: []change.RowChange{row, row}}
			r.parts <- &change.Txn{Source: "a", Seq: 2, GTID: "0-1-2", Begin: pos(100), Part: 1, FirstRow: 2, Changes: []change.RowChange{row}}
			require.Eventually(t, func() bool { sink.mu.Lock(); defer sink.mu.Unlock(); return len(sink.applied) == 3 },
				5*time.Second, time.Millisecond)
			cancel()
			if tt.lastPart {
				time.Sleep(50 * time.Millisecond)
				r.parts <- &change.Txn{Source: "a", Seq: 2, GTID: "0-1-2", Begin: pos(100), Part: 2, FirstRow: 3, Last: true, End: pos(300)}
			}
			select {
			case err := <-errc:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("the pipeline did not stop")
			}
			got, err := store.Position("a")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.cut, p.Interruptions())
		})
	}
}

// A stop between transactions does not wait for the grace period, nor
// start the transaction whose first part is already queued.
func TestStopBetweenTransactionsIsImmediate(t *testing.T) {
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	r := &fedReader{parts: make(chan *change.Txn, 2)}
	sink := &flakySink{}
	p := &Pipeline{
		Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
		ChangeSinks: []Sink{sink}, Store: store, Interval: time.Minute, StopGrace: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	r.parts <- &change.Txn{Source: "a", Seq: 1, Last: true, End: pos(100)}
	require.Eventually(t, func() bool { sink.mu.Lock(); defer sink.mu.Unlock(); return len(sink.applied) == 1 },
		5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a stop between transactions waited")
	}
	got, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(100), got)
	require.Empty(t, p.Interruptions())
}

// stuckSink makes one source's parts durable only once released.
type stuckSink struct {
	flakySink
	stuck   string
	release chan struct{}
}

func (s *stuckSink) FlushSource(ctx context.Context, source string) error {
	if source == s.stuck {
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// One source whose parts wait in a sink holds back its own checkpoint
// only: the other source's advances meanwhile.
func TestStuckSourceHoldsBackOnlyItsCheckpoint(t *testing.T) {
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	a := &scriptedReader{parts: []*change.Txn{{Source: "a", Seq: 1, Last: true, End: pos(100)}}, sent: make(chan struct{})}
	b := &scriptedReader{parts: []*change.Txn{{Source: "b", Seq: 1, Last: true, End: pos(200)}}, sent: make(chan struct{})}
	sink := &stuckSink{stuck: "b", release: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": a, "b": b}, Start: map[string]change.Position{"a": pos(4), "b": pos(4)},
		TableSinks: []Sink{sink}, Store: store, Interval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	require.Eventually(t, func() bool {
		got, err := store.Position("a")
		return err == nil && got == pos(100)
	}, 5*time.Second, 10*time.Millisecond, "a's checkpoint advances while b's parts wait")
	_, err = store.Position("b")
	require.ErrorIs(t, err, checkpoint.ErrNotFound, "b's is held back")
	close(sink.release)
	require.Eventually(t, func() bool {
		got, err := store.Position("b")
		return err == nil && got == pos(200)
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)
}

// The last checkpoint, at a stop, is per source too: a source whose sink
// cannot finish in time loses its own only.
func TestLastCheckpointSavesTheSourcesThatFlushed(t *testing.T) {
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	a := &scriptedReader{parts: []*change.Txn{{Source: "a", Seq: 1, Last: true, End: pos(100)}}, sent: make(chan struct{})}
	b := &scriptedReader{parts: []*change.Txn{{Source: "b", Seq: 1, Last: true, End: pos(200)}}, sent: make(chan struct{})}
	sink := &stuckSink{stuck: "b", release: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": a, "b": b}, Start: map[string]change.Position{"a": pos(4), "b": pos(4)},
		TableSinks: []Sink{sink}, Store: store, Interval: time.Hour, lastFlush: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-a.sent
	<-b.sent
	require.Eventually(t, func() bool { return len(p.prog.sources()) == 2 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	err = <-errc
	require.ErrorContains(t, err, "last checkpoint of source b")
	require.NotContains(t, err.Error(), "source a")
	got, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(100), got, "a's last checkpoint is saved")
	_, err = store.Position("b")
	require.ErrorIs(t, err, checkpoint.ErrNotFound)
}

// The checkpoint age grows while a source has applied changes not saved,
// and is 0 once they are.
func TestCheckpointAge(t *testing.T) {
	p := newProgress(map[string]change.Position{"a": pos(50)})
	require.Equal(t, map[string]float64{"a": 0}, p.checkpointAges(), "nothing applied since the start")
	p.applied(&change.Txn{Source: "a", Seq: 1, Last: true, End: pos(100)}, nil)
	time.Sleep(20 * time.Millisecond)
	require.Greater(t, p.checkpointAges()["a"], 0.015)
	p.saved(map[string]change.Position{"a": pos(100)}, nil, nil)
	require.Equal(t, map[string]float64{"a": 0}, p.checkpointAges())
}

// Cursors handed back unsaved keep each table's newest.
func TestUnsavedCursorsKeepTheNewest(t *testing.T) {
	p := newProgress(nil)
	older := checkpoint.Cursor{Source: "a", Schema: "s", Table: "t", Chunks: 1}
	newer := checkpoint.Cursor{Source: "a", Schema: "s", Table: "t", Chunks: 2}
	p.saved(nil, []checkpoint.Cursor{older, newer}, errNotSaved)
	_, _, cursors := p.take("a")
	require.Equal(t, []checkpoint.Cursor{newer}, cursors)
}

// A part addressed to some sinks (a replay's rows) reaches them whole;
// the others get it without its changes and operations, but with its
// position, which is checkpointed as usual.
func TestAddressedPartsReachOnlyTheirSinks(t *testing.T) {
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	row := change.RowChange{Op: change.Read, After: change.Row{int64(1)}}
	parts := []*change.Txn{
		{Source: "a", Seq: 1, Last: true, End: pos(100), Changes: []change.RowChange{row}},
		{Source: "a", Seq: 2, Last: true, End: pos(200), Changes: []change.RowChange{row}, Sinks: []string{"named"}},
	}
	named, other := &flakySink{}, &flakySink{}
	r := &scriptedReader{parts: parts, sent: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
		ChangeSinks: []Sink{named, other}, Store: store, Interval: 10 * time.Millisecond,
		SinkNames: map[Sink]string{named: "named", other: "other"},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-r.sent
	time.Sleep(50 * time.Millisecond)
	cancel()
	require.NoError(t, <-errc)
	require.Len(t, named.applied, 2)
	require.Len(t, named.applied[1].Changes, 1)
	require.Len(t, other.applied, 2)
	require.Len(t, other.applied[0].Changes, 1)
	require.Empty(t, other.applied[1].Changes, "the other sink gets the part bare")
	require.Equal(t, uint64(2), other.applied[1].Seq)
	got, err := store.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos(200), got)
}
