package kinesis

import (
	"container/heap"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// record is one change's data, waiting for Kinesis to acknowledge it.
type record struct {
	id   uint64 // in Apply order; Flush waits for every id up to its own
	data []byte
	// size is what the record counts against Kinesis's limits: data and
	// partition key.
	size      int
	aggregate bool
	// solo records go alone, unaggregated: Kinesis refused a call holding
	// them as too large.
	solo   bool
	queued time.Time
	origin origin
}

// origin says which change a record holds, for the failed store.
type origin struct {
	source, gtid, table, op string
	pos                     change.Position
	key                     []change.Value
}

// keyState is where the head record of a partition key is.
type keyState uint8

const (
	keyIdle    keyState = iota // no records
	keyReady                   // in its stream's ready list
	keyBusy                    // head in flight
	keyWaiting                 // head failed; in the retry heap until retryAt
)

// keyQueue holds the records of one partition key of one stream in Apply
// order. Only its head is ever sent (with the records aggregated behind
// it), and the next record only after Kinesis acknowledged the head: that
// keeps the key's records in order in the stream whatever fails.
type keyQueue struct {
	stream   *streamQueue
	pk       string
	recs     []*record
	state    keyState
	attempts int // consecutive failures of the head
	retryAt  time.Time
	index    int // in the retry heap
}

// streamQueue holds the keys of one stream.
type streamQueue struct {
	name string
	keys map[string]*keyQueue
	// ready lists the keys whose head can be sent, oldest first.
	ready []*keyQueue
	// dueAt is when the oldest ready record has waited FlushInterval.
	dueAt time.Time
	// queued counts the bytes of records not in flight.
	queued int64
}

// entry is one Kinesis record of a batch: the first n records of q,
// joined by newlines when aggregated.
type entry struct {
	q    *keyQueue
	n    int
	data []byte
	size int
}

// batch is one PutRecords call.
type batch struct {
	stream  *streamQueue
	entries []entry
	bytes   int
}

// streamLocked returns the queue of the named stream, creating it.
func (s *Sink) streamLocked(name string) *streamQueue {
	st := s.mu.streams[name]
	if st == nil {
		st = &streamQueue{name: name, keys: map[string]*keyQueue{}}
		s.mu.streams[name] = st
	}
	return st
}

// addLocked queues rec under partition key pk of stream.
func (s *Sink) addLocked(stream, pk string, rec *record) {
	st := s.streamLocked(stream)
	q := st.keys[pk]
	if q == nil {
		q = &keyQueue{stream: st, pk: pk}
		st.keys[pk] = q
	}
	s.mu.nextID++
	rec.id = s.mu.nextID
	q.recs = append(q.recs, rec)
	st.queued += int64(rec.size)
	s.mu.unacked += int64(rec.size)
	if q.state == keyIdle {
		s.readyLocked(q, rec.queued)
	}
}

// readyLocked appends q to its stream's ready list; since is when its head
// started waiting.
func (s *Sink) readyLocked(q *keyQueue, since time.Time) {
	st := q.stream
	q.state = keyReady
	st.ready = append(st.ready, q)
	due := since.Add(s.opts.FlushInterval)
	if len(st.ready) == 1 || due.Before(st.dueAt) {
		st.dueAt = due
	}
}

// dueLocked reports whether st has records to send now.
func (s *Sink) dueLocked(st *streamQueue, now time.Time) bool {
	return len(st.ready) > 0 && (s.mu.flushers > 0 || !now.Before(st.dueAt) ||
		len(st.ready) >= MaxBatchRecords || st.queued >= MaxBatchBytes)
}

// nextBatchLocked takes the next call to make, or returns nil when none is
// due or allowed now.
func (s *Sink) nextBatchLocked(now time.Time) *batch {
	if s.mu.err != nil || s.mu.closed || s.mu.inFlight >= s.opts.MaxInFlight || now.Before(s.mu.pauseUntil) {
		return nil
	}
	var st *streamQueue
	for _, c := range s.mu.streams {
		if s.dueLocked(c, now) && (st == nil || c.dueAt.Before(st.dueAt)) {
			st = c
		}
	}
	if st == nil {
		return nil
	}
	b := &batch{stream: st}
	taken := 0
	for _, q := range st.ready {
		if len(b.entries) == MaxBatchRecords {
			break
		}
		solo := q.recs[0].solo
		if solo && len(b.entries) > 0 {
			break // it goes alone, first in the next call
		}
		e := buildEntry(q)
		if b.bytes+e.size > MaxBatchBytes {
			break
		}
		taken++
		b.entries = append(b.entries, e)
		b.bytes += e.size
		q.state = keyBusy
		for _, r := range q.recs[:e.n] {
			st.queued -= int64(r.size)
		}
		if solo {
			break
		}
	}
	clear(st.ready[:taken])
	st.ready = st.ready[taken:]
	if len(st.ready) == 0 {
		st.ready = nil
	}
	return b
}

// buildEntry makes the Kinesis record of q's head: the head alone, or on
// an aggregating route the head and the aggregating records after it, one
// per line, as many as fit MaxRecordBytes.
func buildEntry(q *keyQueue) entry {
	head := q.recs[0]
	e := entry{q: q, n: 1, data: head.data, size: head.size}
	if !head.aggregate || head.solo {
		return e
	}
	for _, r := range q.recs[1:] {
		if !r.aggregate || r.solo || e.size+1+len(r.data) > MaxRecordBytes {
			break
		}
		e.n++
		e.size += 1 + len(r.data)
	}
	if e.n == 1 {
		return e
	}
	data := make([]byte, 0, e.size-len(q.pk))
	for j, r := range q.recs[:e.n] {
		if j > 0 {
			data = append(data, '\n')
		}
		data = append(data, r.data...)
	}
	e.data = data
	return e
}

// ackLocked removes the n records Kinesis acknowledged from the head of q
// and lets the next one go.
func (s *Sink) ackLocked(q *keyQueue, n int) {
	for j, r := range q.recs[:n] {
		s.resolveLocked(r)
		q.recs[j] = nil
	}
	q.recs = q.recs[n:]
	q.attempts = 0
	s.nextLocked(q)
}

// nextLocked makes q ready for its next head, or forgets it when empty.
func (s *Sink) nextLocked(q *keyQueue) {
	if len(q.recs) == 0 {
		q.state, q.recs = keyIdle, nil
		delete(q.stream.keys, q.pk)
		return
	}
	s.readyLocked(q, q.recs[0].queued)
}

// resolveLocked marks r done: acknowledged, or recorded as failed.
func (s *Sink) resolveLocked(r *record) {
	s.mu.unacked -= int64(r.size)
	if r.id != s.mu.acked+1 {
		s.mu.done[r.id] = struct{}{}
		return
	}
	s.mu.acked++
	for {
		if _, ok := s.mu.done[s.mu.acked+1]; !ok {
			break
		}
		delete(s.mu.done, s.mu.acked+1)
		s.mu.acked++
	}
}

// retryLocked puts q's head back after a failure, to be sent after a
// backoff that grows with its consecutive failures.
func (s *Sink) retryLocked(q *keyQueue, n int, now time.Time) {
	for _, r := range q.recs[:n] {
		q.stream.queued += int64(r.size)
	}
	q.attempts++
	q.state = keyWaiting
	q.retryAt = now.Add(s.backoff(q.attempts))
	heap.Push(&s.mu.retries, q)
}

// requeueLocked puts q's head back to be sent at once.
func (s *Sink) requeueLocked(q *keyQueue, n int) {
	for _, r := range q.recs[:n] {
		q.stream.queued += int64(r.size)
	}
	s.readyLocked(q, time.Time{})
}

// promoteLocked makes the keys whose backoff has passed ready.
func (s *Sink) promoteLocked(now time.Time) {
	for len(s.mu.retries) > 0 && !now.Before(s.mu.retries[0].retryAt) {
		q := heap.Pop(&s.mu.retries).(*keyQueue)
		s.readyLocked(q, time.Time{})
	}
}

// nextWakeLocked returns when the dispatcher has something to do next, or
// the zero time when only a signal can give it work.
func (s *Sink) nextWakeLocked() time.Time {
	if s.mu.err != nil || s.mu.closed {
		return time.Time{}
	}
	var next time.Time
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(s.mu.retries) > 0 {
		earlier(s.mu.retries[0].retryAt)
	}
	if s.mu.inFlight < s.opts.MaxInFlight {
		for _, st := range s.mu.streams {
			if len(st.ready) > 0 {
				earlier(st.dueAt)
			}
		}
	}
	if !next.IsZero() && next.Before(s.mu.pauseUntil) {
		next = s.mu.pauseUntil
	}
	return next
}

// retryHeap orders waiting keys by retryAt.
type retryHeap []*keyQueue

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].retryAt.Before(h[j].retryAt) }
func (h retryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *retryHeap) Push(x any) {
	q := x.(*keyQueue)
	q.index = len(*h)
	*h = append(*h, q)
}
func (h *retryHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return q
}
