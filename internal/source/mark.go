package source

import (
	"context"
	"errors"
	"sync"

	"github.com/tributary-cdc/tributary/internal/change"
)

// errMarkWanted ends a wait for the next binlog event when a position
// transaction was asked for.
var errMarkWanted = errors.New("a position transaction was asked for")

// marker wakes the stream's wait for the next event when a position
// transaction is asked for. The context it hands out is replaced only
// once a wake-up was taken, so the wait for each event costs a lock, not
// a new context, and a wake between two waits ends the next one.
type marker struct {
	mu     sync.Mutex
	parent context.Context
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// context returns the context to wait for the next event with: parent,
// cancelled by a wake not yet taken.
func (m *marker) context(parent context.Context) context.Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil || m.parent != parent {
		m.renew(parent)
	}
	return m.ctx
}

// taken renews the context after a wake-up was handled.
func (m *marker) taken() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.renew(m.parent)
}

func (m *marker) renew(parent context.Context) {
	if m.cancel != nil {
		m.cancel(nil)
	}
	m.parent = parent
	m.ctx, m.cancel = context.WithCancelCause(parent)
}

// wake ends the wait under way, or the next one.
func (m *marker) wake() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		m.cancel(errMarkWanted)
	}
}

// woken reports whether err ended a wait because of a wake, not because
// the stream's own context ended.
func woken(ctx, wait context.Context, err error) bool {
	return ctx.Err() == nil && errors.Is(err, context.Canceled) && errors.Is(context.Cause(wait), errMarkWanted)
}

// MarkPosition asks the stream for a position transaction: a transaction
// without changes at the point the stream has reached, sent as soon as
// the stream is between two transactions (at once when it waits for the
// server, else with the next transaction, which does as well). A
// GTID-watermarked backfill asks for one when its chunk's high watermark
// may already be behind the stream on an idle source: the chunk's rows
// need a transaction to ride with. It never blocks; a stream that is not
// connected ignores it.
func (r *Reader) MarkPosition() { r.mark.wake() }

// sendPosition sends a position transaction at the assembler's position,
// when it is between transactions: a held empty transaction (it ends
// there) or a new one, whose commit time is when it is sent. It is not
// counted as a transaction, and the resume position does not move.
func (e *emitter) sendPosition(ctx context.Context, a *assembler) error {
	if a.cur != nil {
		return nil // the open transaction's end comes soon and does as well
	}
	if e.held != nil {
		return e.flush(ctx)
	}
	pos := a.pos
	pos.GTIDSet = a.setText
	t := &change.Txn{Source: e.source, Last: true, Begin: pos, End: pos, Seq: e.nextSeq, CommitTime: e.now().UTC()}
	if err := e.send(ctx, t); err != nil {
		return err
	}
	e.nextSeq++
	return nil
}
