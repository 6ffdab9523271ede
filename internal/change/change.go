package change

import "time"

// Op is the kind of a row change.
type Op uint8

// The row operations.
const (
	Insert Op = iota + 1
	Update
	Delete
	// Read is a row as a backfill read it from its table: the row exists
	// with the After image at that point of the source's stream. It has no
	// before image; applying it is an upsert, like an insert's.
	Read
)

// String returns "insert", "update", "delete" or "read".
func (o Op) String() string {
	switch o {
	case Insert:
		return "insert"
	case Update:
		return "update"
	case Delete:
		return "delete"
	case Read:
		return "read"
	}
	return "unknown"
}

// Row holds one value per column of its Table, in column order.
// See value.go for the Go type each column kind decodes to.
type Row []Value

// RowChange is one row inserted, updated or deleted in a source table, or
// one row a backfill read from it.
type RowChange struct {
	// Table describes the columns as they were at the change's binlog position.
	Table *Table
	Op    Op
	// Before is the row image before the change (Update, Delete); nil for
	// Insert and Read.
	Before Row
	// After is the row image after the change (Insert, Update, Read); nil
	// for Delete.
	After Row
	// Changed lists the indexes of columns whose value differs between Before
	// and After (Update only); for Insert and Delete it is nil, meaning all.
	Changed []int
}

// Image returns the row that identifies the change: After for inserts,
// updates and reads, Before for deletes.
func (c *RowChange) Image() Row {
	if c.Op == Delete {
		return c.Before
	}
	return c.After
}

// Key returns the primary key values of row, in primary key order.
func (c *RowChange) Key(row Row) []Value {
	key := make([]Value, len(c.Table.PrimaryKey))
	for i, col := range c.Table.PrimaryKey {
		key[i] = row[col]
	}
	return key
}

// Txn is one source transaction, or one part of a large one.
//
// Large transactions are delivered in several parts of bounded size so memory
// stays bounded; every part has the same Source, Seq and GTID, Part counts
// from 0, and only the part with Last set carries a position that may be
// checkpointed.
type Txn struct {
	// Source is the configured name of the source cluster.
	Source string
	// Seq increases by one for every transaction a reader emits in one run;
	// sinks acknowledge by it.
	Seq uint64
	// Part is the index of this part within the transaction.
	Part int
	// FirstRow is the index of Changes[0] within the transaction: the
	// number of changes its earlier parts carried. Change sinks number a
	// transaction's rows by it.
	FirstRow int
	// Last is set on the final part of the transaction.
	Last bool
	// GTID identifies the transaction in the source's syntax ("0-1-42" on
	// MariaDB, "uuid:42" on MySQL); empty without GTIDs.
	GTID string
	// CommitTime is the source's commit timestamp of the transaction (UTC).
	CommitTime time.Time
	// Begin is the position where the transaction starts; End is the
	// position after its commit event. End is only meaningful when Last is set.
	Begin, End Position
	Changes    []RowChange
	// DDL lists the table statements of the transaction that could make a
	// target diverge (a DDL statement is a transaction of its own). The
	// mapping stage applies each mapping's DDL policy to them; change
	// sinks send a control record for each.
	DDL []DDL
	// Altered names ("schema.table") every table a DDL statement of the
	// transaction created, altered, renamed, dropped or truncated, among
	// the tables the reader includes: also the statements DDL leaves out
	// because no target can diverge by them (an added column). A backfill
	// reads a chunk again when its table is among them.
	Altered []string
	// Ops are the target operations derived from Changes by the mappings,
	// in source order; empty until a mapping stage fills them.
	Ops []TargetOp
}
