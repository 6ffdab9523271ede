package mysql

import (
	"context"

	"github.com/tributary-cdc/tributary/internal/change"
)

// handOffItems is how many operations Apply gathers for one worker before
// handing them over in one send: a channel send per operation costs more
// CPU than applying it, and the gathered operations wait for the queue
// room they take (see budget.go) when they are sent, so the queues stay
// bounded by Options.MaxQueuedBytes.
const handOffItems = 64

// handOff gathers the operations of one Apply call by worker, in order,
// and sends each worker's as one slice.
type handOff struct {
	s    *Sink
	from *origin
	// by holds, by worker, the items not sent yet; room their queue room.
	by   [][]item
	room []int64
	// order lists the workers with items in the order they first got one,
	// listed marks them.
	order  []int
	listed []bool
}

// add gathers op for worker w, sending w's items once there are
// handOffItems of them.
func (h *handOff) add(ctx context.Context, w int, op *change.TargetOp) error {
	if h.by == nil {
		n := len(h.s.workers)
		h.by, h.room, h.listed = make([][]item, n), make([]int64, n), make([]bool, n)
	}
	if !h.listed[w] {
		h.listed[w] = true
		h.order = append(h.order, w)
	}
	room := opMemory(op)
	h.by[w] = append(h.by[w], item{op: *op, from: h.from, room: room})
	h.room[w] += room
	if len(h.by[w]) >= handOffItems {
		return h.send(ctx, w)
	}
	return nil
}

// sendAll sends what is gathered for every worker.
func (h *handOff) sendAll(ctx context.Context) error {
	for _, w := range h.order {
		if err := h.send(ctx, w); err != nil {
			return err
		}
	}
	for _, w := range h.order {
		h.listed[w] = false
	}
	h.order = h.order[:0]
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

// send hands worker w's gathered items to it once their queue room is
// taken.
func (h *handOff) send(ctx context.Context, w int) error {
	items, room := h.by[w], h.room[w]
	if len(items) == 0 {
		return nil
	}
	h.by[w], h.room[w] = nil, 0
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
