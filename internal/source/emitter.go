package source

import (
	"context"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// idleFlush is how long an empty transaction may be held back: a source
// busy only with excluded tables still moves its checkpoint this often.
const idleFlush = time.Second

// idleSettle is how long the stream must stay quiet after an empty
// transaction for that one to go out before idleFlush: the reader has
// caught up, and the checkpoint can say so at once rather than up to a
// second later. A stream whose transactions come closer together than
// this still sends one empty transaction a second; one whose gaps are
// longer sends at most one per gap, and so fewer than 1/idleSettle a
// second.
const idleSettle = 20 * time.Millisecond

// emitter numbers the transactions of one Run and sends their parts.
//
// Transactions without included changes (nor DDL of included tables, of
// any kind) are held back rather than sent:
// each one held replaces the previous, a transaction with changes drops
// it (its own End supersedes), and one still held idleFlush after the
// last send, or idleSettle after it was held, is sent then. So a source
// busy only with excluded tables costs about one empty transaction a
// second while its checkpoint still advances, and a stream that has
// caught up shows its position within idleSettle.
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
	// heldAt is when held was held.
	heldAt time.Time
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
			e.held, e.heldAt = t, e.now()
			if e.heldAt.Sub(e.lastSent) >= idleFlush {
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
	due := e.lastSent.Add(idleFlush)
	if settled := e.heldAt.Add(idleSettle); settled.Before(due) {
		due = settled
	}
	return due, true
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
