package change

import "time"

// FailedChange is a target operation that a sink could not apply. It holds
// row values so it can be re-run later; they must never be logged.
type FailedChange struct {
	// ID is assigned by the store that records it; it is ignored when recording.
	ID uint64
	// Source names the source cluster, Position and GTID the transaction.
	Source   string
	Position Position
	GTID     string
	// Target is the target table, "schema.table".
	Target string
	// Op is the operation kind: "upsert", "delete", "update", "reject" (a
	// change whose key its source does not own) or "conflict" (an upsert
	// that collided on a unique key with another row, which was kept).
	Op string
	// Key holds the target key values; Columns and Values what an upsert
	// writes (nil for a delete).
	Key     []Value
	Columns []string
	Values  []Value
	// ConflictKey is, for a "conflict", the target key of the row the
	// upsert collided with, when the sink could read it; else nil.
	ConflictKey []Value
	// Error is the target's error text, whole: the server's message may
	// quote row values.
	Error string
	// Summary, when set, is Error as logs give it, without the messages
	// that may quote row values; listings show it instead of Error.
	Summary string
	// At is when the failure was recorded.
	At time.Time
	// Superseded, when set, is when a later operation on the same target
	// row was applied: re-applying this one would overwrite it.
	Superseded time.Time
}
