// Package kinesis owns the Kinesis Data Streams sink: routing, partition
// keys, batching, ordered retries and acknowledgement of row changes.
//
// # Records
//
// Every row change becomes one Kinesis record: its envelope (package
// envelope, format "native") or its DMS record (package dms, format "dms"),
// except an update that changes its partition key, which becomes two (see
// Key-changing updates).
// A route, chosen by the first pattern matching "schema.table", names the
// stream and how the record is keyed, aggregated and handled when too big.
// A table no route matches goes to the sink's Stream; without one its
// changes are not sent (logged once per table).
//
// # Table statements
//
// A table statement of a routed table (TRUNCATE, DROP, RENAME, an ALTER
// that drops or retypes columns) becomes a control record: the envelope's
// "op":"ddl" record (format "native") or a "record-type":"control" record
// (format "dms"), keyed "schema.table" whatever the route's partition key.
// It is a barrier: the sink waits until every earlier record is
// acknowledged, sends one copy to every open shard of the route's stream
// (an explicit hash key per shard, from ListShards), and waits for those
// before Apply returns. Each shard thus holds it after every record that
// precedes the statement and before every record that follows. Without
// the permission to list shards one copy goes by the "schema.table" key
// alone, unordered relative to row records on other shards. Control
// records do not count in Sent. See control.go.
//
// # DMS details
//
// Format "dms" carries what DMS's task and endpoint settings add (see
// DMSOptions): the sink keeps, per source, the transaction sent before
// the current one for prev-transaction-id (none for the first after a
// start, nor for backfilled rows, DMS's full load), sends a create-table
// control record before the first record of each table on each stream
// with control_details (a barrier on every shard, like a table
// statement's), and marks each transaction's last record on a stream so
// its stream-position names the position after the transaction. See
// dmsstate.go.
//
// # Partition keys
//
//   - primary_key (default): the schema, table and primary key values of the
//     change's identifying image (the after image, the before image of a
//     delete), as ["shop","orders",42]. A table without a primary key uses
//     the hash (below) of all the image's values.
//   - table: "schema.table".
//   - transaction: "source/GTID", or "source/file:pos" of the transaction's
//     first event without GTIDs, so replays get the same key.
//   - constant:VALUE: VALUE.
//   - expression:EXPR: the text of an expr-lang expression (the language of
//     the mappings) over the identifying image's columns by name and
//     meta.source, meta.schema, meta.table, meta.op and meta.gtid; for
//     example expression:meta.table + "/" + string(tenant_id). Numbers read
//     in decimal, NULL as the empty key; now() is refused, since a replay
//     must key a change as before. An expression that fails on a change
//     stops the sink before any record of its transaction part is queued.
//
// An empty key or one longer than 256 bytes is replaced by "sha256:" and
// the lower-case hex SHA-256 of its UTF-8 bytes.
//
// # Key-changing updates
//
// An update whose before image keys differently from its after image (with
// primary_key: one that changes the primary key, or any value of a table
// without one; with expression: whose expression, evaluated on each image
// with meta.op "update", gives two values) is sent as two records: a
// delete of the before image keyed by the old key, then an insert of the
// after image keyed by the new key. Table, transaction and constant keys
// never split. So every key's records describe its row alone and in order:
// with one record under the new key, a consumer reading shards
// independently could apply the update after a later re-insert of the old
// key and delete it.
//
// Both records carry the update's row index; the envelope marks them with
// "key_change": "delete-old" and "insert-new" (package envelope), the dms
// format only by their operations, delete and insert. The update counts in
// Sent once both are acknowledged; Flush waits for both like any records.
// Each is checked for size on its own: with oversize "fail" one may be
// recorded in the failed store (as a delete of the old key or an insert of
// the new one) while the other is sent.
//
// # Order and delivery
//
// Records of one partition key reach the stream in Apply order. While a
// record of a key is unacknowledged (in a call, or waiting to be retried
// after Kinesis refused it), no later record of that key is sent; records
// of other keys go on. PutRecords may accept a call yet fail some of its
// records: only those are retried, forever, with exponential backoff and
// full jitter (a random pause below a ceiling that starts at 50 ms and
// doubles per attempt up to 5 s). A call that fails as a whole
// (throttling, a server error, a lost connection) is retried the same way.
// Errors that retrying cannot fix, such as a missing stream, missing
// permissions or a request Kinesis calls invalid, stop the sink: Apply and
// Flush then return a *StreamError naming the stream.
//
// Flush returns once every record queued before it is acknowledged, so the
// checkpoint never passes a record Kinesis does not have. Delivery is at
// least once: a call that timed out may have been stored and is sent again,
// and a restart resends the changes after the last checkpoint. Consumers
// drop repeats by source, GTID or binlog position, and row index.
//
// A key holds at most one record in flight, so a coarse key (table,
// transaction, constant) without aggregation sends one record per round
// trip. Aggregation is what makes such keys fast.
//
// # Pacing
//
// Each stream's shard map is read once (ListShards); every record goes to
// the shard the MD5 of its partition key falls in, and a call takes only
// records whose shard has room within Kinesis's limits of 1,000 records
// and 1 MiB a second, so the sink sends at the limit instead of bouncing
// off it (see pace.go). Without the permission to list shards a stream is
// not paced, and throttling is left to the retries.
//
// # Aggregation
//
// On a route with aggregate set, the consecutive records of one partition
// key waiting together are sent as one Kinesis record of up to 256 KiB
// (a single change larger than that goes alone, up to 1 MiB): the
// records in order, separated by '\n' (JSON Lines, no trailing newline).
// Consumers split the data on '\n'; each line is one record in the route's
// format (neither format writes a raw newline inside a record). This only
// pays off where keys are coarse: with primary_key, a row rarely has two
// changes waiting at once.
//
// # Oversize records
//
// Kinesis takes at most 1 MiB per record, data and partition key together.
// A bigger record is never truncated silently. With oversize "fail" (the
// default) the change is recorded in the failed store (target
// "kinesis:<stream>", the operation, the key the envelope's "key" holds and
// "record of N bytes exceeds Kinesis's 1 MiB", followed for a record of a
// key-changing update by which of the two it is), counted by Failed, and
// not sent; later changes go on. With "drop_columns" the values of the listed
// columns, or without a list the largest values first until the record
// fits, are replaced in the before and after images by the marker
//
//	{"tributary_dropped":true,"bytes":N}
//
// where N is the size of the dropped value in bytes (text as UTF-8, binary
// values before base64). Primary key columns are never dropped. A record
// still too big is handled as with "fail". A record Kinesis itself refuses
// as too large (which the sink's own check should prevent) is handled as
// with "fail" too, its key left empty for a table without a primary key.
//
// # Memory
//
// Apply blocks while more than MaxBufferedBytes of records are
// unacknowledged. A record is encoded once in memory, an oversize one too
// (to learn its size).
package kinesis
