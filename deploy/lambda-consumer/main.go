// Command lambda-consumer is an example AWS Lambda consumer of the Kinesis
// stream that Tributary's Kinesis sink writes: it applies the row changes of
// a batch in order and reports the first record that fails as a partial
// batch response, so Lambda retries from that record and per-key order
// holds. Of the control records that stand for table statements it
// applies TRUNCATE and logs the others.
//
// It imports nothing from Tributary so that it can be copied on its own.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	c := &consumer{log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	lambda.Start(c.handle)
}

// Change is one row change in Tributary's "native" format, the envelope.
// Image values (Key, Before, After) are nil for NULL, json.Number for
// numbers and string for everything else: base64 for binary columns, the
// document text for JSON columns, MySQL's text form for temporal ones.
type Change struct {
	// Source is the configured name of the source cluster.
	Source string `json:"source"`
	// Schema and Table name the source table.
	Schema string `json:"schema"`
	Table  string `json:"table"`
	// Op is "insert", "update", "delete" or "read" (a row Tributary's
	// backfill copied from its table: After only, written like an insert),
	// or "ddl" on a control record: a table statement, which DDL says.
	Op string `json:"op"`
	// DDL is, on a control record, what the statement did to the table:
	// "truncate", "drop", "rename" (to NewSchema.NewTable) or "alter"
	// (Columns were dropped or retyped).
	DDL       string   `json:"ddl"`
	NewSchema string   `json:"new_schema"`
	NewTable  string   `json:"new_table"`
	Columns   []string `json:"columns"`
	// KeyChange is set on the two records of an update that changed the
	// row's key: "delete-old" on a delete of the old key, "insert-new" on
	// an insert of the new key. Each is sent under its own key, so it is
	// applied as the delete or insert it is; the field only tells them
	// apart from other changes (see ID).
	KeyChange string `json:"key_change"`
	// Key holds the primary key columns of the after image (the before
	// image of a delete), or every column when the table has none. An
	// update never changes it: the sink sends an update that changes the
	// key as a delete and an insert.
	Key map[string]any `json:"key"`
	// Before is the row before the change; absent for inserts and reads.
	Before map[string]any `json:"before"`
	// After is the row after the change; absent for deletes.
	After map[string]any `json:"after"`
	// Changed names the columns an update changed; absent otherwise.
	Changed []string `json:"changed"`
	// CommitTime is the source's commit time of the transaction.
	CommitTime time.Time `json:"commit_time"`
	// GTID identifies the transaction; empty when the source has no GTIDs.
	GTID string `json:"gtid"`
	// Binlog is where the transaction begins in the source's binary log.
	Binlog struct {
		File string `json:"file"`
		Pos  uint32 `json:"pos"`
	} `json:"binlog"`
	// Row is the index of the change within its transaction; control
	// records are numbered after the transaction's row changes.
	Row int `json:"row"`
}

// ID names the record: a change delivered again carries the same source,
// transaction and row index. The GTID names the transaction where there is
// one, since it survives a failover to a replica and a binlog position does
// not. The two records of a key-changing update share their row index and
// differ by KeyChange.
func (c *Change) ID() string {
	txn := c.GTID
	if txn == "" {
		txn = c.Binlog.File + ":" + strconv.FormatUint(uint64(c.Binlog.Pos), 10)
	}
	id := c.Source + "/" + txn + "/" + strconv.Itoa(c.Row)
	if c.KeyChange != "" {
		id += "/" + c.KeyChange
	}
	return id
}

// dmsMetadata is the part of a "dms" format record this example reads; the
// row itself is under "data".
type dmsMetadata struct {
	Timestamp     time.Time `json:"timestamp"`
	RecordType    string    `json:"record-type"`
	Operation     string    `json:"operation"`
	SchemaName    string    `json:"schema-name"`
	TableName     string    `json:"table-name"`
	TransactionID uint64    `json:"transaction-id"`
}

// line is one decoded line: a DMS record when Metadata is set (the native
// envelope has no "metadata" field), else a Change.
type line struct {
	Change
	Metadata *dmsMetadata `json:"metadata"`
}

// consumer handles the Kinesis events of one event source mapping.
type consumer struct {
	log *slog.Logger
	// apply applies one change; nil means logChange. It must return an
	// error rather than skip a change it could not apply.
	apply func(ctx context.Context, c *Change) error
	// truncate applies the control record of a TRUNCATE of c's table; nil
	// means logTruncate. In the dms format c holds the table, the op
	// "ddl", DDL "truncate" and the commit time.
	truncate func(ctx context.Context, c *Change) error
}

// handle applies the records of a batch in order. At the first record that
// fails it stops and reports only that record: Lambda then retries the
// shard from it, so no change is applied before an earlier one of its key.
// Returning an error instead would make Lambda retry the whole batch.
func (c *consumer) handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	// A retry delivers again the records from the failed one on, and the
	// sink delivers at least once (a timed-out put may have been stored
	// and is sent again), so a change can arrive twice. This set drops
	// repeats within one invocation; a real consumer keeps the last
	// applied position per key in its store, written together with the
	// row, and skips a change at or before it, which also covers repeats
	// across invocations (the lines of an aggregated record that applied
	// before a later line failed, changes resent after a restart).
	seen := make(map[string]bool)
	for _, rec := range ev.Records {
		if err := c.handleRecord(ctx, rec.Kinesis.Data, seen); err != nil {
			c.log.Error("handling record, retrying from it",
				"sequence_number", rec.Kinesis.SequenceNumber, "partition_key", rec.Kinesis.PartitionKey, "err", err)
			return events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{
				{ItemIdentifier: rec.Kinesis.SequenceNumber},
			}}, nil
		}
	}
	return events.KinesisEventResponse{}, nil
}

// handleRecord applies every line of one Kinesis record in order. An
// aggregated record holds several lines separated by '\n' (no trailing
// newline); others hold one.
func (c *consumer) handleRecord(ctx context.Context, data []byte, seen map[string]bool) error {
	apply, truncate := c.apply, c.truncate
	if apply == nil {
		apply = c.logChange
	}
	if truncate == nil {
		truncate = c.logTruncate
	}
	for i, raw := range bytes.Split(data, []byte{'\n'}) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("line %d: %w", i, err)
		}
		l, err := decodeLine(raw)
		if err != nil {
			return fmt.Errorf("decoding line %d: %w", i, err)
		}
		if m := l.Metadata; m != nil {
			if m.RecordType == "control" && m.Operation == "truncate-table" {
				ch := &Change{Schema: m.SchemaName, Table: m.TableName, Op: "ddl", DDL: "truncate", CommitTime: m.Timestamp}
				if err := truncate(ctx, ch); err != nil {
					return fmt.Errorf("truncating %s.%s (line %d): %w", ch.Schema, ch.Table, i, err)
				}
				continue
			}
			// The "dms" format: a real consumer reads the row from "data"
			// and writes it as write says.
			w, _ := write(m.Operation)
			c.log.Info("dms record", "record_type", m.RecordType, "op", m.Operation, "write", w,
				"table", m.SchemaName+"."+m.TableName, "transaction_id", m.TransactionID)
			continue
		}
		id := l.ID()
		if seen[id] {
			c.log.Debug("skipping repeated change", "change", id)
			continue
		}
		if l.Op == "ddl" {
			if err := c.control(ctx, &l.Change, truncate); err != nil {
				return fmt.Errorf("applying %s of %s.%s (line %d): %w", l.DDL, l.Schema, l.Table, i, err)
			}
			seen[id] = true
			continue
		}
		if err := apply(ctx, &l.Change); err != nil {
			return fmt.Errorf("applying %s to %s.%s (line %d): %w", l.Op, l.Schema, l.Table, i, err)
		}
		seen[id] = true
	}
	return nil
}

// decodeLine parses one line. Numbers stay json.Number so that 64-bit
// integers and decimals keep every digit.
func decodeLine(raw []byte) (line, error) {
	var l line
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&l); err != nil {
		return line{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return line{}, errors.New("data after the object")
	}
	if l.Metadata != nil {
		if l.Metadata.Operation == "" {
			return line{}, errors.New("dms record without an operation")
		}
		return l, nil
	}
	if l.Op == "ddl" {
		switch l.DDL {
		case "truncate", "drop", "rename", "alter":
		default:
			return line{}, fmt.Errorf("unknown ddl %q", l.DDL)
		}
		return l, nil
	}
	if l.DDL != "" {
		return line{}, fmt.Errorf("ddl %q on op %q", l.DDL, l.Op)
	}
	if _, err := write(l.Op); err != nil {
		return line{}, err
	}
	switch {
	case l.KeyChange == "", l.KeyChange == "delete-old" && l.Op == "delete", l.KeyChange == "insert-new" && l.Op == "insert":
	default:
		return line{}, fmt.Errorf("key_change %q on op %q", l.KeyChange, l.Op)
	}
	return l, nil
}

// The two writes a change makes to the row its key names.
const (
	writeUpsert = "upsert"
	writeDelete = "delete"
)

// write returns what a change with operation op does to its row: inserts,
// updates and the rows a backfill copied (native "read", DMS's full load
// "load") upsert it, deletes delete it. A backfilled row can arrive after
// changes to other rows and, when a backfill is re-run, again for a row
// that is already there: as an upsert it converges either way. DMS's
// control records (create-table and the like) write no row and are not
// handled here.
func write(op string) (string, error) {
	switch op {
	case "insert", "update", "read", "load":
		return writeUpsert, nil
	case "delete":
		return writeDelete, nil
	}
	return "", fmt.Errorf("unknown op %q", op)
}

// logChange is the default apply: it logs the change so the example runs as
// it is. A real consumer writes here (see write): an upsert of After by
// Key for inserts, updates and reads, a delete by Key for deletes, in one write with the change's
// position so a repeat is recognised. Key is the only row a change touches,
// also for the two records of a key-changing update, so applying each
// shard in order converges whatever the order between shards. It logs
// where the change comes from, never row values, keys included: a table
// without a primary key has the whole row as its key.
func (c *consumer) logChange(_ context.Context, ch *Change) error {
	w, err := write(ch.Op)
	if err != nil {
		return err
	}
	c.log.Info("change", "op", ch.Op, "write", w, "table", ch.Schema+"."+ch.Table, "key_columns", len(ch.Key), "change", ch.ID())
	return nil
}

// control handles the control record of a table statement: a TRUNCATE is
// applied, the other statements are logged and passed over. A DROP or a
// RENAME leaves the copy's rows where they are: whether to drop them, keep
// them or follow the new name is the consumer's call, and an ALTER that
// dropped or retyped columns needs its schema changed by hand.
func (c *consumer) control(ctx context.Context, ch *Change, truncate func(context.Context, *Change) error) error {
	if ch.DDL == "truncate" {
		return truncate(ctx, ch)
	}
	c.log.Warn("ignoring table statement", "ddl", ch.DDL, "table", ch.Schema+"."+ch.Table,
		"new_table", ch.NewSchema+"."+ch.NewTable, "columns", ch.Columns, "change", ch.ID())
	return nil
}

// logTruncate is the default truncate: it logs. A real consumer deletes
// here every row of the source's table whose last applied change comes
// before this record, leaving a tombstone at the record's position, in
// one write. The sink sends the record to every shard, after each shard's
// records that precede the statement and before those that follow it: so
// rows the other shards already wrote after the statement (a later
// position) stay, and a row another shard still has to write from before
// the statement is removed when that shard reaches its own copy, or
// skipped because the tombstone is newer.
func (c *consumer) logTruncate(_ context.Context, ch *Change) error {
	c.log.Info("truncate", "table", ch.Schema+"."+ch.Table, "source", ch.Source, "change", ch.ID())
	return nil
}
