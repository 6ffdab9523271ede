// Package mysql owns the MySQL target sink: idempotent, batched, parallel apply of target operations to a MySQL or MariaDB database.
//
// The workers are grouped in lanes by the sources their tables' lookups
// query, so a source that does not answer holds up only the tables that
// read it (see lanes.go). Within a lane, operations are partitioned over
// its workers by a hash of their target table and primary key (integer
// keys by blocks of 256 neighbours, for index locality; text that the
// key's collation compares loosely by its folded form, see route.go), so
// every write to one target row goes through one worker and keeps source
// order. A target table that has a unique key besides the
// one the operations are keyed by is routed as a whole to one worker: two
// rows may swap values of a secondary unique key, and only one ordered
// stream of statements can replay such a swap without a spurious duplicate
// key error or a reordering; that worker may still write a long run over
// several connections, each part compacted, committed only if none of
// them met an error or another's lock, and else written whole in order
// (see split.go). Each worker merges runs of consecutive
// operations of the same kind, table and column list into one multi-row
// statement and commits up to StatementsPerTxn statements per transaction;
// on tables without other unique keys, and for batches of upserts and
// deletes only, it first compacts the batch (see compact.go), elsewhere it
// reorders operations only within a split run's parts. Pending lookups are read right before the
// write (see resolve.go); an UpdateRow that would leave its row as the
// worker's last write to it left it is not sent (see unchanged.go);
// Rejects are never sent but handed to the error policy in their place. A full upsert statement runs as a prepared
// statement (see prepared.go), the others as text with interpolated
// values. The operations queued and being applied are bounded in bytes,
// per lane, so Apply waits while they hold more (see budget.go).
//
// Writes are idempotent (INSERT ... ON DUPLICATE KEY UPDATE of the columns
// an operation owns, UPDATE of an existing row by key, DELETE by key; never
// REPLACE), so a batch whose commit is lost or whose source transaction is
// replayed converges to the same target state.
//
// The target's messages can quote row values (a duplicate key, a trigger's
// SIGNAL, a statement with its values interpolated), so logs and returned
// errors give them redacted (mysqlerr.Redact); the failed-changes store
// alone keeps them whole.
package mysql
