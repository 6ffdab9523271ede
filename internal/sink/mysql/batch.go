package mysql

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
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
}

// item is one entry of a worker's queue: an operation, or a flush barrier
// that is answered once every operation queued before it is committed.
type item struct {
	op      change.TargetOp
	from    *origin
	barrier chan error
	// size is opBytes(&op), computed once when the item is first added.
	size int
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
	// columns changed rather than because the last one was full: without
	// any, compaction has nothing to merge.
	breaks int
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
			last.end = n
			last.bytes += size
			return
		}
		if !same {
			b.breaks++
		}
	}
	b.stmts = append(b.stmts, stmt{start: n - 1, end: n, bytes: size})
}

// reset empties b for reuse, dropping references to the applied rows.
func (b *batch) reset() {
	clear(b.items)
	b.items = b.items[:0]
	b.stmts = b.stmts[:0]
	b.breaks = 0
}

// sql returns the statement and arguments of s.
func (b *batch) sql(s stmt) (string, []any) {
	ops := b.items[s.start:s.end]
	first := &ops[0].op
	if first.Kind == change.DeleteRow {
		args := make([]any, 0, len(ops)*len(first.Key))
		for i := range ops {
			args = append(args, ops[i].op.Key...)
		}
		return deleteSQL(first.Target, len(ops)), args
	}
	args := make([]any, 0, len(ops)*len(first.Columns))
	for i := range ops {
		args = append(args, ops[i].op.Values...)
	}
	return upsertSQL(first.Target, first.Columns, len(ops)), args
}

// sameRun reports whether b may share a statement with a run that a starts.
// Only operations of one kind on one table (and, for upserts, one column
// list) merge, so statement order is operation order.
func sameRun(a, b *change.TargetOp) bool {
	if a.Kind != b.Kind || !sameTable(a.Target, b.Target) {
		return false
	}
	return a.Kind == change.DeleteRow || slices.Equal(a.Columns, b.Columns)
}

func sameTable(a, b *change.TargetTable) bool {
	return a == b || a.Schema == b.Schema && a.Name == b.Name && slices.Equal(a.Key, b.Key)
}

// opBytes estimates the size of an operation's values on the wire.
func opBytes(op *change.TargetOp) int {
	vals := op.Values
	if op.Kind == change.DeleteRow {
		vals = op.Key
	}
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
