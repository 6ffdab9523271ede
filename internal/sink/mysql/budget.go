package mysql

import (
	"context"
	"sync"
	"unsafe"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Queue room.
//
// The operations Apply has queued and the workers have not yet committed
// (in the queues and in the batches being applied) are bounded in bytes,
// Options.MaxQueuedBytes for the whole sink: each lane has an equal share
// (at least MinMaxQueuedBytes), so a lane that waits for a source fills
// its own room and the others keep going. Apply blocks while a lane's
// operations hold more than its room. An operation's size is an estimate of the
// memory it holds (opMemory), so the bound holds whatever the rows look
// like: many small rows or a few wide ones, one large source transaction
// or many small ones. An operation larger than the whole room is let in
// alone, when nothing else is held. The workers give the room back once a
// batch is committed or handed to the error policy. The queues also hold
// at most RowsPerStatement × StatementsPerTxn operations a worker, which
// only small operations reach.

// budget is the queue room in bytes.
type budget struct {
	limit int64
	mu    struct {
		sync.Mutex
		used int64
		// freed is closed, and replaced, when room is given back.
		freed chan struct{}
	}
}

func newBudget(limit int64) *budget {
	b := &budget{limit: limit}
	b.mu.freed = make(chan struct{})
	return b
}

// acquire takes n bytes of room, waiting until there is enough, ctx ends
// (it returns ctx.Err()), the sink is closed (ErrClosed) or Run returned
// (ErrStopped).
func (b *budget) acquire(ctx context.Context, n int64, closed, stopped <-chan struct{}) error {
	for {
		b.mu.Lock()
		if b.mu.used == 0 || b.mu.used+n <= b.limit {
			b.mu.used += n
			b.mu.Unlock()
			return nil
		}
		freed := b.mu.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return ErrClosed
		case <-stopped:
			return ErrStopped
		}
	}
}

// release gives back n bytes of room.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.mu.used -= n
	close(b.mu.freed)
	b.mu.freed = make(chan struct{})
	b.mu.Unlock()
}

// held returns the bytes of room taken.
func (b *budget) held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.used
}

// itemBytes is the memory of a queue entry without what its slices point
// to.
const itemBytes = int64(unsafe.Sizeof(item{}))

// opMemory estimates the memory op holds while queued: the queue entry,
// the slices of values and what each value points to. Column names are
// shared by the operations of a mapping and left out.
func opMemory(op *change.TargetOp) int64 {
	return itemBytes + valuesMemory(op.Key) + valuesMemory(op.Values) + valuesMemory(op.CondValues)
}

// valuesMemory estimates the memory of vals: an interface each, and the
// value it boxes.
func valuesMemory(vals []change.Value) int64 {
	n := int64(16 * len(vals))
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			n += 16 + int64(len(v))
		case []byte:
			n += 24 + int64(len(v))
		case change.Decimal:
			n += 16 + int64(len(v))
		case change.Temporal:
			n += 16 + int64(len(v))
		case change.JSON:
			n += 16 + int64(len(v))
		default:
			n += 8
		}
	}
	return n
}
