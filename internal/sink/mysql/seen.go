package mysql

import (
	"context"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// Re-derivations already seen.
//
// A change to a looked-up row asks again for the lookup of every target
// row it reaches: an UpdateRow with one pending lookup (see
// lookup.Expand). When the stream is behind, the source already held that
// change when the row was last written: a recipe's upsert read its steps
// after the steps had been inserted, and each step's insert then asks for
// the same steps again. Reading them costs the source a locking read and
// the target a write, for the values already there.
//
// A Resolver that says what its reads saw (seenResolver, the lookup
// package's) lets the worker skip such an UpdateRow without reading or
// writing it: when the worker's last committed write to the row (see
// unchanged.go) resolved the same lookup with the same parameters, from
// reads that saw the UpdateRow's source transaction. Then:
//
//   - the row holds what the lookup read at a point after that
//     transaction, so the UpdateRow adds nothing of its own;
//   - any change the read did not see was written to the source's binlog
//     after the read began, so the stream delivers it after the write was
//     queued, and the UpdateRow it causes is queued behind the write,
//     checked against its own seen set and read if unseen; the last write
//     to the row therefore still reflects a read taken after the last
//     change seen, as exec requires;
//   - a last write that was an UpdateRow counts only for one with the same
//     Cond: if the condition held, it wrote the lookup's columns, and if
//     not, nothing has changed the row since, and it still does not.
//
// Only calls of at least seenMinOps operations ask what their reads saw.
// Only writes committed count: the check runs after an attempt's failed
// writes are forgotten, before the run is resolved. Everything that makes
// the worker forget a row (unchanged.go) makes it forget its reads; so
// does a restart. Transactions are compared by GTID (gtid.Set): on MariaDB
// by the sequence number of their domain, which needs gtid_strict_mode as
// elsewhere; a transaction without a GTID is never skipped.
// tributary_mysql_seen_rederives_total counts the UpdateRows skipped.

// seenMinOps is the fewest operations a Resolver call must read for the
// worker to ask what its reads saw, which costs a query of each source
// read. A stream that keeps up gives small batches, whose reads rarely
// see a change before the stream does: there the query would add a round
// trip to every batch and a query to every lookup query or two, for
// nothing. A stream that is behind gives full batches. A variable so
// tests can lower it.
var seenMinOps = 32

// seenResolver is a Resolver that says which source transactions its
// reads saw.
type seenResolver interface {
	ResolveSeen(ctx context.Context, ops []*change.TargetOp) (*gtid.Seen, error)
}

// maxRememberedReads bounds the lookups of one remembered write whose
// reads are remembered.
const maxRememberedReads = 2

// lookupRead is one lookup that a remembered write resolved: the lookup's
// number (lastWrites.lookups), a hash of its source and parameters, and
// what its reads saw, as a sequence number of the worker's seenLog. It
// holds no pointer, so the garbage collector does not scan the rows
// remembered.
type lookupRead struct {
	params uint64
	seen   uint32
	lookup uint16
}

// seenLogSize bounds the Resolver calls whose seen sets a worker keeps: a
// row whose last read is older is read again.
const seenLogSize = 4096

// seenLog keeps what the worker's latest Resolver calls saw, numbered
// from 1 in call order.
type seenLog struct {
	last uint32
	ring [seenLogSize]struct {
		seq  uint32
		seen *gtid.Seen
	}
}

// add returns the number of seen, adding it unless it is the last added.
func (s *seenLog) add(seen *gtid.Seen) uint32 {
	if s.last > 0 && s.ring[s.last%seenLogSize].seen == seen {
		return s.last
	}
	s.last++
	if s.last == 0 {
		s.last = 1 // wrapped: 0 names nothing
	}
	slot := &s.ring[s.last%seenLogSize]
	slot.seq, slot.seen = s.last, seen
	return s.last
}

// get returns the seen set numbered seq; nil once it left the ring.
func (s *seenLog) get(seq uint32) *gtid.Seen {
	if slot := &s.ring[seq%seenLogSize]; seq != 0 && slot.seq == seq {
		return slot.seen
	}
	return nil
}

// lookupNumber returns lk's number, numbering it on first use; ok is
// false once 65,535 lookups are numbered.
func (l *lastWrites) lookupNumber(lk *change.Lookup) (uint16, bool) {
	if n, ok := l.lookups[lk]; ok {
		return n, true
	}
	if len(l.lookups) >= 1<<16-1 {
		return 0, false
	}
	n := uint16(len(l.lookups) + 1)
	l.lookups[lk] = n
	return n, true
}

// pendingHash returns the hash of p's source and parameters.
func (l *lastWrites) pendingHash(p *change.Pending) uint64 {
	l.buf = appendTagged(l.buf[:0], 's', p.Source)
	for _, v := range p.Params {
		l.buf = appendKeyValue(l.buf, v)
	}
	return l.sum()
}

// remembersReads records in e the reads of the lookups that it resolved,
// when there were any and few enough.
func (l *lastWrites) remembersReads(e *lastWrite, it *item) {
	if it.seen == nil || len(it.pending) > maxRememberedReads {
		return
	}
	seq := l.seens.add(it.seen)
	for i := range it.pending {
		p := &it.pending[i]
		n, ok := l.lookupNumber(p.Lookup)
		if !ok {
			return
		}
		e.reads[i] = lookupRead{params: l.pendingHash(p), seen: seq, lookup: n}
	}
	e.nreads = uint8(len(it.pending))
}

// lastRead returns the index in e.reads of the read of p, -1 if none.
func (l *lastWrites) lastRead(e *lastWrite, p *change.Pending) int {
	n, ok := l.lookups[p.Lookup]
	if !ok {
		return -1
	}
	h := l.pendingHash(p)
	for i, rd := range e.reads[:e.nreads] {
		if rd.lookup == n && rd.params == h {
			return i
		}
	}
	return -1
}

// seenBefore reports whether it, an UpdateRow that asks again for one
// lookup, may be skipped unread (see above).
func (l *lastWrites) seenBefore(it *item) bool {
	op := &it.op
	if op.Kind != change.UpdateRow || len(op.Pending) != 1 || len(op.Columns) != 0 || it.retry != nil ||
		it.from == nil || it.from.gtid == "" {
		return false // not a re-derivation, or a failed one applied again as asked
	}
	p := &op.Pending[0]
	if p.Source != it.from.source {
		return false // a transaction of another source than the one read
	}
	_, e, ok := l.lastOf(op)
	if !ok || e.nreads == 0 || !e.upsert && e.cond != l.condHash(op) {
		return false
	}
	i := l.lastRead(&e, p)
	return i >= 0 && l.seens.get(e.reads[i].seen).Saw(p.Source, it.from.gtid)
}

// readAgain records that it, an UpdateRow not sent because its row holds
// the values its lookup read (see unchanged.go), read them after what the
// row's last write remembers of that lookup: the row holds what the later
// read gives.
func (l *lastWrites) readAgain(it *item) {
	if it.seen == nil || len(it.pending) != 1 {
		return
	}
	row, e, ok := l.lastOf(&it.op)
	if !ok {
		return
	}
	if i := l.lastRead(&e, &it.pending[0]); i >= 0 {
		e.reads[i].seen = l.seens.add(it.seen)
		l.set(row, e)
	}
}
