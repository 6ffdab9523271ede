package change

// TargetOpKind is the kind of a write to a target table.
type TargetOpKind uint8

// The target operations. All are idempotent: replaying them converges.
const (
	// Upsert inserts the row or updates the columns it names.
	Upsert TargetOpKind = iota + 1
	// DeleteRow deletes the row with the key, if present.
	DeleteRow
	// UpdateRow writes Columns of the row with the key where the row exists
	// and every Cond column holds its CondValues value; otherwise nothing.
	// Contributors that do not decide whether a row exists write with it.
	UpdateRow
	// Rederive asks for the Pending lookup columns of every target row
	// whose Cond columns hold CondValues to be read again. It has no Key:
	// the lookup's Via says how to find the rows, and it is expanded into
	// UpdateRows before it reaches a sink.
	Rederive
	// Reject is a change that must not be applied, for the reason in Err
	// (a key owned by another source); sinks hand it to their error policy.
	Reject
	// TruncateTarget deletes every row of Target. It has no Key: a table
	// statement (TRUNCATE, DROP, RENAME) removed every row of the single
	// driving table of a mapping under ddl: propagate. Sinks apply it as a
	// barrier: after every operation before it, before any after it.
	TruncateTarget
	// ClearColumns sets Columns to Values in every row of Target. It has
	// no Key: a table statement removed every row of a table that fills
	// those columns (a non-driving source, a lookup) under ddl: propagate.
	// Sinks apply it as a barrier, like TruncateTarget.
	ClearColumns
)

// String returns the kind's lower-case name.
func (k TargetOpKind) String() string {
	switch k {
	case Upsert:
		return "upsert"
	case DeleteRow:
		return "delete"
	case UpdateRow:
		return "update"
	case Rederive:
		return "rederive"
	case Reject:
		return "reject"
	case TruncateTarget:
		return "truncate"
	case ClearColumns:
		return "clear"
	}
	return "unknown"
}

// TargetTable names a target table and its primary key.
type TargetTable struct {
	Schema, Name string
	// Key lists the primary key column names, in key order.
	Key []string
}

// QualifiedName returns "schema.table".
func (t *TargetTable) QualifiedName() string { return t.Schema + "." + t.Name }

// TargetOp is one write to a target table that a mapping derives from a
// source row change.
type TargetOp struct {
	Target *TargetTable
	Kind   TargetOpKind
	// Key holds the values of Target.Key.
	Key []Value
	// Columns and Values are the columns an Upsert writes (the key columns
	// included) and their values; nil for DeleteRow. A mapping writes only
	// the columns it owns, so contributors to one row commute.
	Columns []string
	Values  []Value
	// Cond and CondValues are the extra conditions of an UpdateRow or a
	// Rederive: target columns that must hold these values.
	Cond       []string
	CondValues []Value
	// Pending lists lookups whose columns complete the operation. The
	// sink resolves them right before it writes, in the operation's order
	// among the writes to its row, and appends their columns to Columns
	// and Values; Pending is then nil.
	Pending []Pending
	// Err says why a Reject must not be applied.
	Err error
	// Change is the index in Txn.Changes of the change it derives from;
	// -1 for the operations a table statement (Txn.DDL) derives.
	Change int
}

// Pending is one lookup to run for an operation.
type Pending struct {
	Lookup *Lookup
	// Source is the configured source to query.
	Source string
	// Params are the values the lookup's Match columns must equal.
	Params []Value
}

// Lookup reads target columns from a source table by equality on some of
// its columns. It is compiled from a mapping: either a lookup the mapping
// declares, or the completion of a row by a contributor that does not
// drive it.
type Lookup struct {
	// Name identifies the lookup in errors and metrics: the mapping file
	// and place it was declared at.
	Name string
	// Schema and Table name the looked-up table on the source.
	Schema, Table string
	// Match lists the looked-up columns compared with Pending.Params.
	Match []string
	// Select lists the looked-up columns read.
	Select []string
	// Columns lists the target columns filled, in the order values are
	// appended.
	Columns []string
	// Array, when set, fills the single target column with a JSON array of
	// the Select[0] values of every matching row, ordered by OrderBy ("[]"
	// without any); otherwise at most one row may match, and none fills
	// NULLs.
	Array   bool
	OrderBy []string
	// Eval, when set, turns a matching row (values aligned with Select, of
	// the columns' kinds in table) into the values of Columns; ok false
	// treats the row as absent. Without it Select is copied to Columns.
	Eval func(table *Table, row Row) (values []Value, ok bool, err error)
	// Via finds the target rows of a Rederive.
	Via *Via
}

// Via says how to find target rows from lookup parameters: by querying the
// source table that drives the target, whose Key columns give the target
// key and whose Cond columns give the target's Cond columns.
type Via struct {
	Source        string
	Schema, Table string
	// Key lists the driving source columns of the target key, in key order.
	Key []string
	// Cond lists the driving source columns holding the target's Cond
	// columns, which equal the lookup's parameters.
	Cond []string
}

// Barrier reports whether k reaches every row of its target, so that a
// sink must apply it after every operation before it and before any
// after it: TruncateTarget and ClearColumns.
func (k TargetOpKind) Barrier() bool { return k == TruncateTarget || k == ClearColumns }
