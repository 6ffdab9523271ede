package kinesis

import (
	"container/heap"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
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
	// pair is shared with the other record of a split update; nil for a
	// whole change.
	pair *pair
	// control marks a copy of a table statement's control record; it is
	// not a change, so Sent does not count it.
	control bool
	// hashKey, when set, is the explicit hash key that puts the record in
	// one shard whatever its partition key (control records).
	hashKey string
}

// origin says which change a record holds, for the failed store: for a
// half of a split update, op and key are the half's (a delete of the old
// key, an insert of the new one).
type origin struct {
	source, gtid, table, op string
	pos                     change.Position
	key                     []change.Value
	half                    envelope.KeyChange
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
// order (of one partition key and explicit hash key, for the records that
// carry one). Only its head is ever sent (with the records aggregated behind
// it), and the next record only after Kinesis acknowledged the head: that
// keeps the key's records in order in the stream whatever fails.
type keyQueue struct {
	stream   *streamQueue
	pk       string
	hashKey  string // the records' explicit hash key, if any
	name     string // its name in its stream's keys: pk, and hashKey if any
	recs     []*record
	state    keyState
	attempts int // consecutive failures of the head
	retryAt  time.Time
	index    int // in the retry heap
	// shard is the index of the key's shard in shardsOf, its stream's
	// shard map when it was computed.
	shard    int
	shardsOf *shardMap
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
	// shards paces the stream once its shard map is known (see pace.go);
	// no ready key's shard has room before paceAt.
	shards *shardMap
	paceAt time.Time
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
		s.mu.unpaced = append(s.mu.unpaced, st)
		s.signal()
	}
	return st
}

// addLocked queues rec under partition key pk of stream.
func (s *Sink) addLocked(stream, pk string, rec *record) {
	st := s.streamLocked(stream)
	name := pk
	if rec.hashKey != "" {
		name = pk + "\x00" + rec.hashKey
	}
	q := st.keys[name]
	if q == nil {
		q = &keyQueue{stream: st, pk: pk, hashKey: rec.hashKey, name: name}
		st.keys[name] = q
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
	return len(st.ready) > 0 && !now.Before(st.paceAt) && (s.mu.flushers > 0 || !now.Before(st.dueAt) ||
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
	// rest keeps, in order and in place, the ready keys this call does not
	// take; blocked marks the shards without room (see pace.go), paceAt is
	// the first time one of them has.
	rest := st.ready[:0]
	var blocked map[int]bool
	var paceAt time.Time
	for i, q := range st.ready {
		if len(b.entries) == MaxBatchRecords {
			rest = append(rest, st.ready[i:]...)
			break
		}
		solo := q.recs[0].solo
		if solo && len(b.entries) > 0 {
			rest = append(rest, st.ready[i:]...)
			break // it goes alone, first in the next call
		}
		n, size := measureEntry(q)
		if b.bytes+size > MaxBatchBytes {
			rest = append(rest, st.ready[i:]...)
			break
		}
		if m := st.shards; m != nil {
			if q.shardsOf != m {
				q.shard, q.shardsOf = m.shardOfKey(q), m
			}
			if blocked[q.shard] {
				rest = append(rest, q)
				continue
			}
			if ok, at := m.buckets[q.shard].take(size, now); !ok {
				if blocked == nil {
					blocked = map[int]bool{}
				}
				blocked[q.shard] = true
				if paceAt.IsZero() || at.Before(paceAt) {
					paceAt = at
				}
				rest = append(rest, q)
				continue
			}
		}
		e := buildEntry(q, n, size)
		b.entries = append(b.entries, e)
		b.bytes += e.size
		q.state = keyBusy
		for _, r := range q.recs[:e.n] {
			st.queued -= int64(r.size)
		}
		if solo {
			rest = append(rest, st.ready[i+1:]...)
			break
		}
	}
	clear(st.ready[len(rest):])
	st.ready = rest
	st.paceAt = time.Time{}
	if len(b.entries) == 0 {
		st.paceAt = paceAt // every ready key waits for its shard
		return nil
	}
	return b
}

// maxAggregateBytes caps an aggregated Kinesis record. A shard takes 1 MiB
// a second: records near that size leave its allowance unused for most of
// a second whenever one does not quite fit, smaller ones fill it evenly.
const maxAggregateBytes = 256 << 10

// measureEntry returns how many of q's records its next Kinesis record
// holds and its size: the head alone, or on an aggregating route the head
// and the aggregating records after it, one per line, as many as fit
// maxAggregateBytes.
func measureEntry(q *keyQueue) (n, size int) {
	head := q.recs[0]
	n, size = 1, head.size
	if !head.aggregate || head.solo {
		return n, size
	}
	for _, r := range q.recs[1:] {
		if !r.aggregate || r.solo || size+1+len(r.data) > maxAggregateBytes {
			break
		}
		n++
		size += 1 + len(r.data)
	}
	return n, size
}

// buildEntry makes the Kinesis record of q's first n records, of size
// bytes, as measureEntry counted them.
func buildEntry(q *keyQueue, n, size int) entry {
	e := entry{q: q, n: n, data: q.recs[0].data, size: size}
	if n == 1 {
		return e
	}
	data := make([]byte, 0, size-len(q.pk))
	for j, r := range q.recs[:n] {
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
		delete(q.stream.keys, q.name)
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
				earlier(later(st.dueAt, st.paceAt))
			}
		}
	}
	if !next.IsZero() && next.Before(s.mu.pauseUntil) {
		next = s.mu.pauseUntil
	}
	return next
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
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
