package source

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/retry"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// reconnectBackoff is the pause before reconnecting: a random duration up
// to 100 ms doubled per failed attempt, capped at 10 s.
var reconnectBackoff = retry.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}

// Reader streams the binary log of one source cluster as transactions.
type Reader struct {
	opts Options
	log  *slog.Logger
	// streaming is set while a binlog connection is open and reading.
	streaming atomic.Bool
	// lastErr is the last error that interrupted the stream.
	lastErr atomic.Pointer[StreamError]
	mark    *marker
}

// Streaming reports whether the Reader has a binlog connection open: false
// before Run connects, while it reconnects, and after it returned. A
// connection that went silent counts until its read times out (60 s).
func (r *Reader) Streaming() bool { return r.streaming.Load() }

// StreamError is the last error that interrupted a Reader's stream.
type StreamError struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// LastError returns the last error that interrupted the stream, nil
// while none has.
func (r *Reader) LastError() *StreamError { return r.lastErr.Load() }

// New returns a Reader for the source opts describes; it connects only in
// Preflight, CurrentPosition and Run.
func New(opts Options) *Reader {
	opts = opts.withDefaults()
	return &Reader{opts: opts, log: opts.Logger.With("source", opts.Name), mark: &marker{}}
}

// Run streams from start and sends every transaction, or every part of a
// large one, on out in source order, until ctx is done or a permanent error
// occurs. A zero start means the source's current position. Run returns
// nil when ctx is done (a clean shutdown), else the permanent error:
// ErrPositionPurged, ErrServerChanged, a refused login or privilege, a
// malformed event or one it cannot decode.
//
// On connection loss Run reconnects with capped exponential backoff and
// full jitter (starting again from the shortest pause once a transaction
// has come through) and resumes at the End of the last complete
// transaction. Parts of a transaction interrupted by a reconnect are sent
// again from Part 0 with the same Seq; consumers treat a repeated part as
// an idempotent overwrite of the earlier one. Seq increases by one per
// transaction and restarts at 1 in every Run.
func (r *Reader) Run(ctx context.Context, start change.Position, out chan<- *change.Txn) error {
	if err := r.opts.validate(); err != nil {
		return err
	}
	db, err := r.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	st := &runState{
		em: newEmitter(r.opts.Name, out, start),
		tables: &schemaTracker{
			source: r.opts.Name, include: r.opts.Include, history: r.opts.History, log: r.log,
			load: func(ctx context.Context, schema, table string) (*change.Table, error) {
				return decode.LoadTable(ctx, db, schema, table)
			},
		},
	}
	for attempt := 1; ; attempt++ {
		before := st.em.completed
		err := r.stream(ctx, db, st)
		if ctx.Err() != nil {
			return nil
		}
		if isPermanent(err) {
			return err
		}
		if st.em.completed > before {
			attempt = 1
		}
		r.lastErr.Store(&StreamError{Message: err.Error(), At: time.Now()})
		wait := reconnectBackoff.Delay(attempt)
		r.log.Warn("binlog stream interrupted; reconnecting", "error", err, "attempt", attempt,
			"retry_in", wait, "resume", st.em.resume.String())
		if retry.Wait(ctx, wait) != nil {
			return nil
		}
	}
}

// runState is what one Run carries across reconnects.
type runState struct {
	em     *emitter
	tables *schemaTracker
	// seeded is set once schema history holds every included table at the
	// start position, or at the first position with a binlog file when
	// the start had none (a GTID set alone).
	seeded bool
	// denied is set after the server refused the binlog connection's
	// password once; a second refusal in a row stops the reader.
	denied bool
}
