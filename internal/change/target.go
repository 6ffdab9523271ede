package change

// TargetOpKind is the kind of a write to a target table.
type TargetOpKind uint8

// The target operations. Both are idempotent: replaying them converges.
const (
	// Upsert inserts the row or updates the columns it names.
	Upsert TargetOpKind = iota + 1
	// DeleteRow deletes the row with the key, if present.
	DeleteRow
)

// String returns "upsert" or "delete".
func (k TargetOpKind) String() string {
	switch k {
	case Upsert:
		return "upsert"
	case DeleteRow:
		return "delete"
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
	// Change is the index in Txn.Changes of the change it derives from.
	Change int
}
