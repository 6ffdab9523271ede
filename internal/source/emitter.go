package source

import (
	"context"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// idleFlush is how long an empty transaction may be held back: a source
// busy only with excluded tables still moves its checkpoint this often.
const idleFlush = time.Second

// emitter numbers the transactions of one Run and sends their parts.
//
// Transactions without included changes (nor DDL of included tables, of
// any kind) are held back rather than sent:
// each one held replaces the previous, a transaction with changes drops
// it (its own End supersedes), and one still held idleFlush after the
// last send is sent then. So an idle-for-us source costs about one empty
// transaction a second while its checkpoint still advances.
type emitter struct {
	source string
	out    chan<- *change.Txn
	now    func() time.Time

	// nextSeq is the Seq of the next transaction; it advances on a last
	// part only, so a transaction re-read after a reconnect keeps its Seq.
	nextSeq uint64
	// resume is the End of the last complete transaction, sent or held:
	// where a new connection starts.
	resume   change.Position
	held     *change.Txn
	lastSent time.Time
	// completed counts complete transactions, sent or held.
	completed uint64
}

func newEmitter(source string, out chan<- *change.Txn, start change.Position) *emitter {
	e := &emitter{source: source, out: out, now: time.Now, nextSeq: 1, resume: start}
	e.lastSent = e.now()
	return e
}

// emit takes one part from the assembler.
func (e *emitter) emit(ctx context.Context, t *change.Txn) error {
	t.Source = e.source
	if t.Last {
		e.completed++
		e.resume = t.End
		if t.Part == 0 && len(t.Changes) == 0 && len(t.DDL) == 0 && len(t.Altered) == 0 {
			e.held = t
			if e.now().Sub(e.lastSent) >= idleFlush {
				return e.flush(ctx)
			}
			return nil
		}
	}
	e.held = nil
	t.Seq = e.nextSeq
	if err := e.send(ctx, t); err != nil {
		return err
	}
	if t.Last {
		e.nextSeq++
	}
	return nil
}

// flushDeadline returns when the held transaction is due, if one is held.
func (e *emitter) flushDeadline() (time.Time, bool) {
	if e.held == nil {
		return time.Time{}, false
	}
	return e.lastSent.Add(idleFlush), true
}

// flush sends the held transaction, if any.
func (e *emitter) flush(ctx context.Context) error {
	t := e.held
	if t == nil {
		return nil
	}
	e.held = nil
	t.Seq = e.nextSeq
	if err := e.send(ctx, t); err != nil {
		return err
	}
	e.nextSeq++
	return nil
}

func (e *emitter) send(ctx context.Context, t *change.Txn) error {
	select {
	case e.out <- t:
		e.lastSent = e.now()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
