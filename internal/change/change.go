package change

import (
	"slices"
	"time"
)

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
	// BeforeOmitted and AfterOmitted list, in column order, the columns
	// the server left out of Before and After: partial row images
	// (binlog_row_image MINIMAL or NOBLOB) hold only the columns that
	// identify the row, or that changed. Those read as nil in the image.
	// Both are nil with full images.
	BeforeOmitted, AfterOmitted []int
}

// Image returns the row that identifies the change: After for inserts,
// updates and reads, Before for deletes.
func (c *RowChange) Image() Row {
	if c.Op == Delete {
		return c.Before
	}
	return c.After
}

// Identity returns the image that identifies the changed row, Image(),
// with every column it lacks taken from the other image where that one
// holds it. With partial row images an update's after image lacks the
// columns the update left alone, its key among them unless the key
// changed; the before image holds the key, and being unchanged, its values
// there are the row's after the update too. Without a missing column it
// returns Image() itself, else a completed copy.
func (c *RowChange) Identity() Row {
	row := c.Image()
	if c.Op != Update || len(c.AfterOmitted) == 0 {
		return row
	}
	var out Row
	for _, col := range c.AfterOmitted {
		if col >= len(c.Before) || slices.Contains(c.BeforeOmitted, col) {
			continue
		}
		if out == nil {
			out = slices.Clone(row)
		}
		out[col] = c.Before[col]
	}
	if out == nil {
		return row
	}
	return out
}

// MissingKey returns the key columns the change lacks to say which row it
// changed, nil when it lacks none; only partial row images can lack one.
// With a primary key those are the key columns that neither image holds.
// A table without one is identified by all its values: by the after image
// of an insert, by the before image of an update or a delete, which must
// then hold every column, so the columns it lacks are returned.
func (c *RowChange) MissingKey() []int {
	if len(c.BeforeOmitted) == 0 && len(c.AfterOmitted) == 0 {
		return nil
	}
	if len(c.Table.PrimaryKey) == 0 {
		if c.Op == Insert {
			return slices.Clone(c.AfterOmitted)
		}
		return slices.Clone(c.BeforeOmitted)
	}
	held := func(row Row, omitted []int, col int) bool {
		return row != nil && col < len(row) && !slices.Contains(omitted, col)
	}
	var missing []int
	for _, col := range c.Table.PrimaryKey {
		if !held(c.Before, c.BeforeOmitted, col) && !held(c.After, c.AfterOmitted, col) {
			missing = append(missing, col)
		}
	}
	return missing
}

// Key returns the primary key values of row, in primary key order; row is
// usually Identity().
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
	// Sinks, when set, names the only sinks that take the part's changes
	// and operations: the others get the part without them (its position
	// still passes through them). A replay's rows ride in a transaction
	// of their own so addressed (see replicator.Replayer).
	Sinks []string
}

// Bare returns a copy of the part without its changes and operations:
// what a sink the part is not addressed to (Sinks) takes.
func (t *Txn) Bare() *Txn {
	c := *t
	c.Changes, c.Ops, c.Sinks = nil, nil, nil
	return &c
}
