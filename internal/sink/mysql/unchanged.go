package mysql

import (
	"hash/maphash"
	"slices"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Unchanged updates.
//
// A row completed by a lookup is often written twice with the same values.
// A member's upsert reads its profile from the source when the member is
// written; when the stream is behind, the source already holds the
// profile, and the profile's own change, applied later, writes the values
// the lookup already wrote. A recipe's steps re-derived after each step
// insert read the same steps its insert read. The second write changes
// nothing, but costs the target a statement, and on a table with another
// unique key it costs the one worker all of that table's writes go
// through.
//
// Each worker remembers what its last committed write left in each row it
// completed with a lookup or updated as a contributor (lastWrites), and
// does not send an UpdateRow that would leave the row as it is:
//
//   - after an upsert that wrote lookup columns: an UpdateRow whose every
//     column is one of them, with the same value. The upsert left the row
//     in place with those values; the update would write them again if
//     its Cond holds and do nothing otherwise;
//   - after an UpdateRow: the same columns, values and Cond. An UpdateRow
//     applied twice in a row is applied once (idempotence).
//
// That holds only if the worker knows the last write to the row, so:
//
//   - every write to one row goes through one worker (route.go), in queue
//     order, and only the worker's own writes are remembered: a write
//     committed (a run's transaction, one operation after a permanent
//     error), never one attempted; a run's writes are seen by its later
//     operations in the same attempt and dropped when it fails;
//   - any other write a worker makes to a row replaces or drops what it
//     remembers of it: an upsert without lookups, a delete, another
//     UpdateRow;
//   - writes that reach rows by other keys drop everything remembered: a
//     barrier (a truncate, cleared columns), a collision resolved by
//     deleting the other row, a failed operation applied again;
//   - only rows keyed by one or two integers are remembered, since a
//     string key may name the row that another, equal under the column's
//     collation, names too; an operation keyed otherwise on a table with
//     remembered rows drops the worker's memory;
//   - a column and its value are compared by a 64-bit hash with a random
//     seed of the process, so two different values compare equal with a
//     probability of 2^-64, one in 1.8e19; a write of more than
//     maxRememberedCols columns is not remembered;
//   - the workers remember at most Options.RememberedRows rows together,
//     about 210 bytes each (26 MiB by default); one that would pass the
//     bound drops a row it remembers, or does not remember the new one.
//     After a restart they remember nothing.
//
// Writes from outside the sink (another client, a hand repair) are not
// seen: a row changed there keeps that value until the sink changes it.
// tributary_mysql_unchanged_updates_total counts the updates not sent.

// maxRememberedCols bounds the columns of one remembered write.
const maxRememberedCols = 3

// intRow names a row keyed by one or two integers: its table's number in
// lastWrites.tables, and the key, neg marking its negative parts.
type intRow struct {
	table  uint32
	n, neg uint8
	key    [2]uint64
}

// lastWrite is what a worker's last committed write left in one row.
type lastWrite struct {
	// upsert: an upsert wrote cols, and the row exists; else an UpdateRow
	// under cond wrote them, if the row existed and cond held.
	upsert bool
	n      uint8
	// reads are the lookups the write resolved, with what their reads
	// saw (see seen.go).
	nreads uint8
	cond   uint64
	// cols holds the hashes of each column written and its value.
	cols  [maxRememberedCols]uint64
	reads [maxRememberedReads]lookupRead
}

// lastWrites is one worker's memory of its last writes (see above).
type lastWrites struct {
	seed maphash.Seed
	// rows holds the last writes, committed or of the run being applied;
	// touched lists the rows the run wrote, forgotten if it fails.
	rows    map[intRow]lastWrite
	touched []intRow
	// total counts the rows remembered by every worker of the sink, limit
	// bounds it; evicted counts the rows dropped to make room.
	total   *atomic.Int64
	limit   int64
	evicted *atomic.Uint64
	// tables numbers the tables with rows remembered; lastTable caches
	// the answer for one table.
	tables    map[tableKey]uint32
	lastTable *change.TargetTable
	lastID    uint32
	lastIn    bool
	// barriers is the sink's barrier count when rows was last valid.
	barriers uint64
	buf      []byte
	kept     batch
	// seens and lookups number what lookupReads name (see seen.go).
	seens   *seenLog
	lookups map[*change.Lookup]uint16
}

func newLastWrites(total *atomic.Int64, evicted *atomic.Uint64, limit int64) *lastWrites {
	return &lastWrites{
		limit:   limit,
		evicted: evicted,
		seed:    maphash.MakeSeed(),
		rows:    map[intRow]lastWrite{},
		total:   total,
		tables:  map[tableKey]uint32{},
		seens:   &seenLog{},
		lookups: map[*change.Lookup]uint16{},
	}
}

// begin starts an attempt at a run: the rows an earlier attempt wrote are
// forgotten, and everything when a barrier ran since (barriers is the
// sink's count).
func (l *lastWrites) begin(barriers uint64) {
	for _, k := range l.touched {
		l.drop(k)
	}
	l.touched = l.touched[:0]
	if barriers != l.barriers {
		l.forget()
		l.barriers = barriers
	}
}

// commit keeps the writes of the run, now committed.
func (l *lastWrites) commit() {
	l.touched = l.touched[:0]
	if cap(l.touched) > 1<<12 {
		l.touched = nil // a large run's list is not kept for the next
	}
}

// set remembers e as the last write to row k, unless the workers remember
// their limit and this one has no other row to make room. One map access:
// a new row goes in first, and past the limit another row goes out, or
// the new one when it is this worker's only row.
func (l *lastWrites) set(k intRow, e lastWrite) {
	l.touched = append(l.touched, k)
	n := len(l.rows)
	l.rows[k] = e
	if len(l.rows) == n {
		return // the row was remembered: replaced
	}
	if l.total.Add(1) > l.limit {
		l.total.Add(-1)
		l.evict(k)
		l.evicted.Add(1)
	}
}

// drop forgets row k.
func (l *lastWrites) drop(k intRow) {
	if _, had := l.rows[k]; had {
		delete(l.rows, k)
		l.total.Add(-1)
	}
}

// evict drops a remembered row other than keep, whichever the map gives
// first, or keep when it is the only one. The count stays: keep took the
// place of the row dropped.
func (l *lastWrites) evict(keep intRow) {
	for k := range l.rows {
		if k != keep {
			delete(l.rows, k)
			return
		}
	}
	delete(l.rows, keep)
}

// forget drops everything remembered.
func (l *lastWrites) forget() {
	l.total.Add(-int64(len(l.rows)))
	clear(l.rows)
	l.touched = l.touched[:0]
	clear(l.tables)
	l.lastTable = nil
}

// table returns t's number and whether rows of t may be remembered.
func (l *lastWrites) table(t *change.TargetTable) (uint32, bool) {
	if t != l.lastTable {
		id, in := l.tables[tableKey{t.Schema, t.Name}]
		l.lastTable, l.lastID, l.lastIn = t, id, in
	}
	return l.lastID, l.lastIn
}

// track marks t as having rows remembered and returns its number.
func (l *lastWrites) track(t *change.TargetTable) uint32 {
	id, in := l.table(t)
	if !in {
		id = uint32(len(l.tables))
		l.tables[tableKey{t.Schema, t.Name}] = id
		l.lastTable, l.lastID, l.lastIn = t, id, true
	}
	return id
}

// rowOf returns the row of op, of table number id, and whether its key is
// one or two integers.
func rowOf(id uint32, op *change.TargetOp) (intRow, bool) {
	r := intRow{table: id, n: uint8(len(op.Key))}
	if len(op.Key) > len(r.key) {
		return r, false
	}
	for i, v := range op.Key {
		switch v := v.(type) {
		case int64:
			r.key[i] = uint64(v)
			if v < 0 {
				r.neg |= 1 << i
			}
		case uint64:
			r.key[i] = v
		default:
			return r, false
		}
	}
	return r, true
}

// lastOf returns the row of op and what the worker remembers of its last
// write, if anything.
func (l *lastWrites) lastOf(op *change.TargetOp) (intRow, lastWrite, bool) {
	id, in := l.table(op.Target)
	if !in {
		return intRow{}, lastWrite{}, false
	}
	row, ok := rowOf(id, op)
	if !ok {
		return row, lastWrite{}, false
	}
	e, ok := l.rows[row]
	return row, e, ok
}

// sum returns the hash of l.buf.
func (l *lastWrites) sum() uint64 {
	return maphash.Bytes(l.seed, l.buf)
}

// colHash returns the hash of column c holding v.
func (l *lastWrites) colHash(c string, v change.Value) uint64 {
	l.buf = appendKeyValue(appendTagged(l.buf[:0], 's', c), v)
	return l.sum()
}

// condHash returns the hash of op's Cond columns and values.
func (l *lastWrites) condHash(op *change.TargetOp) uint64 {
	l.buf = l.buf[:0]
	for i, c := range op.Cond {
		l.buf = appendKeyValue(appendTagged(l.buf, 's', c), op.CondValues[i])
	}
	return l.sum()
}

// unchanged reports whether op, resolved, would leave its row as the last
// write left it (see above).
func (l *lastWrites) unchanged(op *change.TargetOp) bool {
	if op.Kind != change.UpdateRow || len(op.Columns) == 0 {
		return false
	}
	_, e, ok := l.lastOf(op)
	if !ok || !e.upsert && (int(e.n) != len(op.Columns) || e.cond != l.condHash(op)) {
		return false
	}
	for i, c := range op.Columns {
		if !slices.Contains(e.cols[:e.n], l.colHash(c, op.Values[i])) {
			return false
		}
	}
	return true
}

// wrote remembers the write of it, applied in the current run: a skipped
// update leaves the row as it was.
func (l *lastWrites) wrote(it *item) {
	op := &it.op
	if it.unchanged && !it.seenBefore {
		l.readAgain(it)
	}
	if it.unchanged || op.Kind == change.UpdateRow && len(op.Columns) == 0 {
		return // the row is as it was
	}
	cols, vals := op.Columns, op.Values
	remember := op.Kind == change.UpdateRow
	if op.Kind == change.Upsert && it.looked > 0 && it.looked <= len(cols) {
		cols, vals = cols[it.looked-1:], vals[it.looked-1:]
		remember = true
	}
	remember = remember && len(cols) <= maxRememberedCols
	id, in := l.table(op.Target)
	if !remember && !in {
		return // no row of the table is remembered
	}
	row, ok := rowOf(id, op)
	switch {
	case !ok:
		if in {
			l.forget() // another key may name a remembered row
		}
	case !remember:
		l.drop(row)
	default:
		if !in {
			row.table = l.track(op.Target)
		}
		e := lastWrite{upsert: op.Kind == change.Upsert, n: uint8(len(cols))}
		if !e.upsert {
			e.cond = l.condHash(op)
		}
		for i, c := range cols {
			e.cols[i] = l.colHash(c, vals[i])
		}
		l.remembersReads(&e, it)
		l.set(row, e)
	}
}

// filter returns the operations of st, a statement of b, that change
// their row, as a statement of a batch: b and st themselves when all do.
// It marks the others unchanged.
func (l *lastWrites) filter(b *batch, st stmt) (*batch, stmt) {
	items := b.items[st.start:st.end]
	if items[0].op.Kind != change.UpdateRow {
		return b, st
	}
	skipped := 0
	for i := range items {
		items[i].unchanged = items[i].seenBefore || l.unchanged(&items[i].op) // set again at each attempt
		if items[i].unchanged {
			skipped++
		}
	}
	if skipped == 0 {
		return b, st
	}
	for i := range items {
		if !items[i].unchanged {
			l.kept.items = append(l.kept.items, items[i])
		}
	}
	return &l.kept, stmt{start: 0, end: len(l.kept.items), bytes: st.bytes}
}

// release drops filter's copies of the operations once their statement
// ran, so their values do not outlive it.
func (l *lastWrites) release() {
	clear(l.kept.items)
	l.kept.items = l.kept.items[:0]
}
