package mysql

import (
	"context"
	"slices"
	"sync"

	"github.com/tributary-cdc/tributary/internal/change"
)

// handOffOps is how many operations Apply gathers before handing them to
// their workers, each worker's in one send: a channel send per operation
// costs more CPU than applying it. The gathered operations take their
// queue room (see budget.go) when they are sent, so the queues stay
// bounded by Options.MaxQueuedBytes.
const handOffOps = 256

// handOff gathers operations of one Apply call with their workers, in
// order, and sends each worker's as one slice.
type handOff struct {
	s    *Sink
	from *origin
	ops  []*change.TargetOp
	ws   []int
	// ends is scratch space for sendAll: where each worker's items end.
	ends []int
}

// handOffs keeps handOffs' slices from one Apply call to the next.
var handOffs = sync.Pool{New: func() any { return new(handOff) }}

// newHandOff returns an empty handOff of the operations of from; release
// gives it back.
func (s *Sink) newHandOff(from *origin) *handOff {
	h := handOffs.Get().(*handOff)
	h.s, h.from = s, from
	return h
}

func (h *handOff) release() {
	clear(h.ops)
	h.ops, h.ws = h.ops[:0], h.ws[:0]
	h.s, h.from = nil, nil
	handOffs.Put(h)
}

// add gathers op for worker w, sending what is gathered once there are
// handOffOps operations.
func (h *handOff) add(ctx context.Context, w int, op *change.TargetOp) error {
	h.ops = append(h.ops, op)
	h.ws = append(h.ws, w)
	if len(h.ops) >= handOffOps {
		return h.sendAll(ctx)
	}
	return nil
}

// sendAllThen sends what is gathered and returns err, or the error of the
// sending.
func (h *handOff) sendAllThen(ctx context.Context, err error) error {
	if serr := h.sendAll(ctx); serr != nil {
		return serr
	}
	return err
}

// sendAll sends what is gathered: the items of all workers share one
// array, each worker's in order in its own stretch of it.
func (h *handOff) sendAll(ctx context.Context) error {
	n := len(h.ops)
	if n == 0 {
		return nil
	}
	defer func() {
		clear(h.ops)
		h.ops, h.ws = h.ops[:0], h.ws[:0]
	}()
	nw := len(h.s.workers)
	h.ends = slices.Grow(h.ends[:0], nw+1)[:nw+1]
	ends := h.ends
	clear(ends)
	for _, w := range h.ws {
		ends[w+1]++
	}
	for w := 1; w <= nw; w++ {
		ends[w] += ends[w-1]
	}
	// ends[w] is now where worker w's stretch starts; filling moves it to
	// where the stretch ends, which is where worker w+1's starts.
	items := make([]item, n)
	for i, op := range h.ops {
		w := h.ws[i]
		items[ends[w]] = item{op: *op, from: h.from, room: opMemory(op)}
		ends[w]++
	}
	start := 0
	for w := range nw {
		end := ends[w]
		if end > start {
			if err := h.send(ctx, w, items[start:end:end]); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}

// send hands items to worker w once their queue room is taken.
func (h *handOff) send(ctx context.Context, w int, items []item) error {
	var room int64
	for i := range items {
		room += items[i].room
	}
	s := h.s
	l := s.workers[w].lane
	if err := l.room.acquire(ctx, room, s.closed, s.stopped); err != nil {
		return err
	}
	s.acks.queueN(w, h.from.source, uint64(len(items)))
	var err error
	select {
	case s.workers[w].in <- items:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-s.closed:
		err = ErrClosed
	case <-s.stopped:
		err = ErrStopped
	}
	s.acks.queueN(w, h.from.source, -uint64(len(items)))
	l.room.release(room)
	return err
}
