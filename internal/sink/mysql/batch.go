package mysql

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// maxStatementBytes caps the estimated size of one statement's values, so a
// run of large rows is split well below max_allowed_packet.
const maxStatementBytes = 4 << 20

// origin is the source transaction part an operation comes from, kept for
// error reports and the failed store.
type origin struct {
	source string
	seq    uint64
	gtid   string
	// pos is the part's end position when it is the last part, else the
	// transaction's begin position.
	pos change.Position
	// begin is the transaction's begin position.
	begin change.Position
}

// txn names the source transaction of o.
func (o *origin) txn() SourceTxn {
	return SourceTxn{Source: o.source, Seq: o.seq, GTID: o.gtid, Begin: o.begin}
}

// item is one entry of a worker's queue: an operation, or a flush barrier
// that is answered once every operation queued before it is committed.
type item struct {
	op      change.TargetOp
	from    *origin
	barrier chan error
	// retry, when set, makes the item a failed operation applied again
	// (see Sink.Retry): alone, after every operation queued before it.
	retry *retryReq
	// size is opBytes(&op), computed once when the item is first added.
	size int
	// room is the queue room the item holds (see budget.go).
	room int64
	// looked is 1 + the number of columns op had before its lookups
	// were resolved, 0 without lookups; unchanged marks an UpdateRow not
	// sent, as it would leave its row as it is (see unchanged.go).
	looked    int
	unchanged bool
	// pending is op.Pending before its lookups were resolved, and seen
	// what their reads saw, when the Resolver says (see seen.go);
	// seenBefore marks an UpdateRow not read nor sent, the lookup's last read of its
	// row having seen its source transaction (it is also unchanged).
	pending    []change.Pending
	seen       *gtid.Seen
	seenBefore bool
}

// stmt is a run of consecutive operations, items[start:end] of a batch,
// applied by one statement.
type stmt struct {
	start, end int
	bytes      int
}

// batch is the operations one worker applies in one target transaction, in
// queue order, grouped into statements.
type batch struct {
	items       []item
	stmts       []stmt
	rowsPerStmt int
	// breaks counts the statements started because the kind, table or
	// columns changed, or an UpdateRow repeated a row, rather than because
	// the last one was full: without any, compaction has nothing to merge.
	breaks int
	// keys holds the row keys of the last statement while it is a run of
	// UpdateRows, which must not hold one key twice (see updateJoinSQL);
	// key is scratch space for rowKey.
	keys map[string]struct{}
	key  []byte
	// scratch is compaction's working memory (see compact.go).
	scratch compactScratch
}

// add appends it, extending the last statement when it continues its run.
func (b *batch) add(it item) {
	if it.size == 0 {
		it.size = opBytes(&it.op)
	}
	size := it.size
	b.items = append(b.items, it)
	n := len(b.items)
	if len(b.stmts) > 0 {
		last := &b.stmts[len(b.stmts)-1]
		same := sameRun(&b.items[last.start].op, &it.op)
		if same && last.end-last.start < b.rowsPerStmt && last.bytes+size <= maxStatementBytes {
			if b.newKey(&it.op) {
				last.end = n
				last.bytes += size
				return
			}
			b.breaks++ // an UpdateRow of a row the run updates: compaction merges them
		} else if !same {
			b.breaks++
		}
	}
	b.stmts = append(b.stmts, stmt{start: n - 1, end: n, bytes: size})
	if it.op.Kind == change.UpdateRow {
		clear(b.keys)
		b.newKey(&it.op)
	}
}

// newKey reports whether the last statement may take op as far as keys
// go: always, unless op is an UpdateRow whose row the statement already
// updates. It remembers the key of an UpdateRow it accepts.
func (b *batch) newKey(op *change.TargetOp) bool {
	if op.Kind != change.UpdateRow {
		return true
	}
	if b.keys == nil {
		b.keys = map[string]struct{}{}
	}
	b.key = rowKey(b.key[:0], op)
	if _, ok := b.keys[string(b.key)]; ok {
		return false
	}
	b.keys[string(b.key)] = struct{}{}
	return true
}

// reset empties b for reuse, dropping references to the applied rows.
func (b *batch) reset() {
	clear(b.items)
	b.items = b.items[:0]
	b.stmts = b.stmts[:0]
	b.breaks = 0
	clear(b.keys)
}

// sql returns the statement and arguments of s, or "" when s writes
// nothing (UpdateRows without columns). Upserts and UpdateRows must be
// resolved: their columns are the first operation's.
func (b *batch) sql(s stmt) (string, []any) {
	ops := b.items[s.start:s.end]
	first := &ops[0].op
	switch first.Kind {
	case change.DeleteRow:
		args := make([]any, 0, len(ops)*len(first.Key))
		for i := range ops {
			args = append(args, ops[i].op.Key...)
		}
		return deleteSQL(first.Target, len(ops)), args
	case change.UpdateRow:
		if len(first.Columns) == 0 {
			return "", nil
		}
		args := make([]any, 0, len(ops)*(len(first.Key)+len(first.Columns)+len(first.Cond)))
		if len(ops) == 1 {
			args = append(append(append(args, first.Values...), first.Key...), first.CondValues...)
			return updateSQL(first.Target, first.Columns, first.Cond), args
		}
		for i := range ops {
			op := &ops[i].op
			args = append(append(append(args, op.Key...), op.Values...), op.CondValues...)
		}
		return updateJoinSQL(first.Target, first.Columns, first.Cond, len(ops)), args
	}
	return upsertSQL(first.Target, first.Columns, len(ops)), b.upsertArgs(s)
}

// upsertArgs returns the arguments of s, a statement of upserts.
func (b *batch) upsertArgs(s stmt) []any {
	ops := b.items[s.start:s.end]
	args := make([]any, 0, len(ops)*len(ops[0].op.Columns))
	for i := range ops {
		args = append(args, ops[i].op.Values...)
	}
	return args
}

// sameRun reports whether b may share a statement with a run that a starts.
// Only operations of one kind on one table merge, so statement order is
// operation order. Upserts and UpdateRows must also end up with one column
// list once resolved: the same columns and the same sequence of pending
// lookups, whose columns resolution appends; UpdateRows must also compare
// the same Cond columns.
func sameRun(a, b *change.TargetOp) bool {
	if a.Kind != b.Kind || !sameTable(a.Target, b.Target) {
		return false
	}
	switch a.Kind {
	case change.Upsert:
		return slices.Equal(a.Columns, b.Columns) && sameLookups(a.Pending, b.Pending)
	case change.UpdateRow:
		return slices.Equal(a.Columns, b.Columns) && sameLookups(a.Pending, b.Pending) && slices.Equal(a.Cond, b.Cond)
	}
	return true
}

// sameLookups reports whether a and b run the same lookups in one order.
func sameLookups(a, b []change.Pending) bool {
	return slices.EqualFunc(a, b, func(p, q change.Pending) bool { return p.Lookup == q.Lookup })
}

// uniform reports whether every operation of each of stmts that is sent
// writes the columns of the statement's first one sent, as resolution
// must leave them; one seen before is not sent (see seen.go).
func (b *batch) uniform(stmts []stmt) bool {
	for _, st := range stmts {
		if k := b.items[st.start].op.Kind; k != change.Upsert && k != change.UpdateRow {
			continue
		}
		var first *change.TargetOp
		for i := st.start; i < st.end; i++ {
			switch it := &b.items[i]; {
			case it.seenBefore:
			case first == nil:
				first = &it.op
			case !slices.Equal(it.op.Columns, first.Columns):
				return false
			}
		}
	}
	return true
}

// neverSent reports whether s holds operations that are never written to
// the target but handed to the error policy: Rejects, and Rederives, which
// must be expanded into UpdateRows before they reach a sink.
func (b *batch) neverSent(s stmt) bool {
	k := b.items[s.start].op.Kind
	return k == change.Reject || k == change.Rederive
}

func sameTable(a, b *change.TargetTable) bool {
	return a == b || a.Schema == b.Schema && a.Name == b.Name && slices.Equal(a.Key, b.Key)
}

// opBytes estimates the size of an operation's values on the wire,
// leaving out the columns its pending lookups will add.
func opBytes(op *change.TargetOp) int {
	switch op.Kind {
	case change.Upsert:
		return valuesBytes(op.Values)
	case change.UpdateRow:
		return valuesBytes(op.Key) + valuesBytes(op.Values) + valuesBytes(op.CondValues)
	}
	return valuesBytes(op.Key)
}

// valuesBytes estimates the size of vals on the wire.
func valuesBytes(vals []change.Value) int {
	n := 0
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			n += len(v) + 3
		case []byte:
			n += 2*len(v) + 3
		case change.Decimal:
			n += len(v) + 3
		case change.Temporal:
			n += len(v) + 3
		case change.JSON:
			n += len(v) + 3
		default:
			n += 21
		}
	}
	return n
}
