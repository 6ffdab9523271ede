package source

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/replication"
)

// Read-ahead between go-mysql's reading goroutine and the reader.
const (
	// queueEvents bounds the events read ahead. With a few events queued
	// at most, the two goroutines hand over nearly every event by parking
	// one and waking the other: on a stream of small transactions (five
	// events each) that cost the reader a quarter of its rate.
	queueEvents = 512
	// queueBytes bounds the event data read ahead: rows larger than an
	// event's usual 8 KiB come one to an event, and 512 of them must not
	// be held at once (at 1 MiB, a 2,000,000-row transaction peaked 20 MiB
	// higher). An event larger than this is queued alone.
	queueBytes = 256 << 10
)

// eventQueue carries the events go-mysql reads to the reader, in order,
// bounded in events and in bytes. go-mysql hands each event over from its
// reading goroutine through HandleEvent (its synchronous handler), which
// waits while the queue is full, so a full queue stops the reads.
type eventQueue struct {
	items chan queued
	// bytes is the event data queued; room is signalled whenever the
	// reader takes some.
	bytes atomic.Int64
	room  chan struct{}
	// done ends every wait once the stream is over.
	done <-chan struct{}
}

// queued is an event, or the error that ended the stream after the events
// before it.
type queued struct {
	ev  *replication.BinlogEvent
	err error
}

var errQueueClosed = errors.New("the binlog stream is closing")

// newEventQueue returns a queue whose waits end when ctx is done.
func newEventQueue(ctx context.Context) *eventQueue {
	return &eventQueue{items: make(chan queued, queueEvents), room: make(chan struct{}, 1), done: ctx.Done()}
}

// HandleEvent queues ev, waiting for room; go-mysql calls it for every
// event, in its reading goroutine. An error stops that goroutine.
func (q *eventQueue) HandleEvent(ev *replication.BinlogEvent) error {
	size := eventBytes(ev)
	// Only this goroutine adds, so the room seen stays at least as large
	// until the add below.
	for {
		queued := q.bytes.Load()
		if queued == 0 || queued+size <= queueBytes {
			break
		}
		select {
		case <-q.room:
		case <-q.done:
			return errQueueClosed
		}
	}
	q.bytes.Add(size)
	// A send that need not wait skips the two-way select, which costs the
	// runtime's select machinery for every event (a twelfth of the
	// service's CPU on small transactions, with next's).
	select {
	case q.items <- queued{ev: ev}:
		return nil
	default:
	}
	select {
	case q.items <- queued{ev: ev}:
		return nil
	case <-q.done:
		return errQueueClosed
	}
}

// eventBytes is what ev counts against queueBytes: its data, or for a
// compressed transaction (MySQL's binlog_transaction_compression) the
// size of the events it holds decoded, if larger.
func eventBytes(ev *replication.BinlogEvent) int64 {
	n := uint64(len(ev.RawData))
	if p, ok := ev.Event.(*replication.TransactionPayloadEvent); ok {
		n = max(n, p.UncompressedSize)
	}
	return int64(n)
}

// follow queues the error that ends s once go-mysql's reading goroutine
// stops. With a synchronous handler its events never pass through s, so
// the error comes after every event it read. ctx is the queue's.
func (q *eventQueue) follow(ctx context.Context, s *replication.BinlogStreamer) {
	_, err := s.GetEvent(ctx)
	if err == nil {
		err = errors.New("the binlog stream sent an event around the queue")
	}
	select {
	case q.items <- queued{err: err}:
	case <-q.done:
	}
}

// next returns the next event, or the error that ended the stream, waiting
// until one comes or ctx is done.
func (q *eventQueue) next(ctx context.Context) (*replication.BinlogEvent, error) {
	var it queued
	select { // a queued event is taken without the two-way select
	case it = <-q.items:
	default:
		select {
		case it = <-q.items:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if it.err != nil {
		return nil, it.err
	}
	q.bytes.Add(-eventBytes(it.ev))
	select {
	case q.room <- struct{}{}:
	default:
	}
	return it.ev, nil
}
