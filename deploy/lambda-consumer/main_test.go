package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// The test records are written by the real encoders, so the example is
// checked against the format the sink sends.

var orders = &change.Table{
	Schema: "shop", Name: "orders",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt},
		{Name: "amount", Kind: change.KindDecimal},
		{Name: "note", Kind: change.KindString, Charset: "utf8mb4"},
	},
	PrimaryKey: []int{0},
}

func insert(id int64) change.RowChange {
	return change.RowChange{Table: orders, Op: change.Insert,
		After: change.Row{id, change.Decimal("9.50"), "secret note"}}
}

// txn is a transaction of changes; an empty gtid leaves the source without
// GTIDs, so changes are told apart by binlog position.
func txn(gtid string, pos uint32, changes ...change.RowChange) *change.Txn {
	return &change.Txn{
		Source: "eu", Seq: 1, Last: true, GTID: gtid,
		CommitTime: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Begin:      change.Position{Flavor: change.MariaDB, File: "mysql-bin.000001", Pos: pos},
		Changes:    changes,
	}
}

// lines returns the native records of every change of t.
func lines(t *change.Txn) [][]byte {
	out := make([][]byte, len(t.Changes))
	for i := range t.Changes {
		out[i] = envelope.Append(nil, t, i, i)
	}
	return out
}

// halves returns the two native records the sink sends for the
// key-changing update t.Changes[i]: the delete of the old key, then the
// insert of the new one, both numbered i.
func halves(t *change.Txn, i int) [2][]byte {
	var out [2][]byte
	for j, k := range []envelope.KeyChange{envelope.DeleteOld, envelope.InsertNew} {
		one := *t
		one.Changes = []change.RowChange{k.Half(&t.Changes[i])}
		out[j] = envelope.AppendKeyChange(nil, &one, 0, i, k)
	}
	return out
}

// read is row id as a backfill copied it.
func read(id int64) change.RowChange {
	c := insert(id)
	c.Op = change.Read
	return c
}

func update(from, to int64) change.RowChange {
	return change.RowChange{Table: orders, Op: change.Update,
		Before: change.Row{from, change.Decimal("9.50"), "secret note"},
		After:  change.Row{to, change.Decimal("9.50"), "secret note"}, Changed: []int{0}}
}

// record is one Kinesis record holding the lines, aggregated when there are
// several.
func record(seq string, lines ...[]byte) events.KinesisEventRecord {
	return events.KinesisEventRecord{Kinesis: events.KinesisRecord{
		SequenceNumber: seq, PartitionKey: "k", Data: bytes.Join(lines, []byte{'\n'}),
	}}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestHandle(t *testing.T) {
	one := lines(txn("0-1-10", 100, insert(1), insert(2), insert(3), insert(4)))
	dmsRecord := dms.Append(nil, txn("0-1-11", 200, insert(5)), 0, 0, dms.Options{})
	noGTID := func(pos uint32) []byte { return lines(txn("", pos, insert(1)))[0] }
	moved := halves(txn("0-1-12", 300, update(1, 2)), 0)
	updateWithKeyChange := bytes.Replace(lines(txn("0-1-13", 400, update(1, 1)))[0],
		[]byte(`"op":"update"`), []byte(`"op":"update","key_change":"insert-new"`), 1)
	tests := []struct {
		name         string
		records      []events.KinesisEventRecord
		failID       string // the key id whose apply fails
		wantCalls    []string
		wantFailures []string
	}{
		{name: "all ok",
			records:   []events.KinesisEventRecord{record("s1", one[0]), record("s2", one[1]), record("s3", one[2])},
			wantCalls: []string{"insert 1", "insert 2", "insert 3"}},
		{name: "failure in the middle stops the batch", failID: "2",
			records:      []events.KinesisEventRecord{record("s1", one[0]), record("s2", one[1]), record("s3", one[2])},
			wantCalls:    []string{"insert 1", "insert 2"},
			wantFailures: []string{"s2"}},
		{name: "aggregated record",
			records:   []events.KinesisEventRecord{record("s1", one[0], one[1], one[2]), record("s2", one[3])},
			wantCalls: []string{"insert 1", "insert 2", "insert 3", "insert 4"}},
		{name: "failing line of an aggregated record", failID: "2",
			records:      []events.KinesisEventRecord{record("s1", one[0], one[1], one[2]), record("s2", one[3])},
			wantCalls:    []string{"insert 1", "insert 2"},
			wantFailures: []string{"s1"}},
		{name: "malformed record",
			records:      []events.KinesisEventRecord{record("s1", one[0]), record("s2", []byte(`{"op":"insert"`)), record("s3", one[2])},
			wantCalls:    []string{"insert 1"},
			wantFailures: []string{"s2"}},
		{name: "malformed line of an aggregated record",
			records:      []events.KinesisEventRecord{record("s1", one[0], []byte(`{"op":"upsert"}`), one[2])},
			wantCalls:    []string{"insert 1"},
			wantFailures: []string{"s1"}},
		{name: "trailing newline is an empty line",
			records:      []events.KinesisEventRecord{record("s1", one[0], nil)},
			wantCalls:    []string{"insert 1"},
			wantFailures: []string{"s1"}},
		{name: "data after the object",
			records:      []events.KinesisEventRecord{record("s1", append(bytes.Clone(one[0]), " {}"...))},
			wantFailures: []string{"s1"}},
		{name: "empty record",
			records:      []events.KinesisEventRecord{record("s1")},
			wantFailures: []string{"s1"}},
		{name: "repeats are skipped",
			records: []events.KinesisEventRecord{record("s1", one[0], one[1]), record("s2", one[1]),
				record("s3", one[0], one[2])},
			wantCalls: []string{"insert 1", "insert 2", "insert 3"}},
		{name: "a change that failed is not a repeat", failID: "2",
			records:      []events.KinesisEventRecord{record("s1", one[1]), record("s2", one[1])},
			wantCalls:    []string{"insert 2"},
			wantFailures: []string{"s1"}},
		{name: "without GTIDs the binlog position tells changes apart",
			records:   []events.KinesisEventRecord{record("s1", noGTID(100)), record("s2", noGTID(300)), record("s3", noGTID(100))},
			wantCalls: []string{"insert 1", "insert 1"}},
		{name: "both records of a key-changing update are applied, not taken for repeats",
			records: []events.KinesisEventRecord{record("s1", moved[0]), record("s2", moved[1]),
				record("s3", moved[0])},
			wantCalls: []string{"delete 1", "insert 2"}},
		{name: "key_change on an update is malformed",
			records:      []events.KinesisEventRecord{record("s1", one[0]), record("s2", updateWithKeyChange)},
			wantCalls:    []string{"insert 1"},
			wantFailures: []string{"s2"}},
		{name: "backfilled rows are applied",
			records:   []events.KinesisEventRecord{record("s1", lines(txn("0-1-14", 500, read(8), read(9)))...)},
			wantCalls: []string{"read 8", "read 9"}},
		{name: "dms record is logged, not applied",
			records:   []events.KinesisEventRecord{record("s1", one[0]), record("s2", dmsRecord), record("s3", one[1])},
			wantCalls: []string{"insert 1", "insert 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			c := &consumer{log: quiet(), apply: func(_ context.Context, ch *Change) error {
				id := ch.Key["id"].(json.Number).String()
				calls = append(calls, ch.Op+" "+id)
				if id == tt.failID {
					return errors.New("target unavailable")
				}
				return nil
			}}
			resp, err := c.handle(t.Context(), events.KinesisEvent{Records: tt.records})
			require.NoError(t, err)
			var failures []string
			for _, f := range resp.BatchItemFailures {
				failures = append(failures, f.ItemIdentifier)
			}
			require.Equal(t, tt.wantFailures, failures)
			require.Equal(t, tt.wantCalls, calls)
		})
	}
}

func TestHandleCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := &consumer{log: quiet(), apply: func(context.Context, *Change) error {
		t.Fatal("applied after the context ended")
		return nil
	}}
	one := lines(txn("0-1-10", 100, insert(1)))
	resp, err := c.handle(ctx, events.KinesisEvent{Records: []events.KinesisEventRecord{record("s1", one[0])}})
	require.NoError(t, err)
	require.Equal(t, []events.KinesisBatchItemFailure{{ItemIdentifier: "s1"}}, resp.BatchItemFailures)
}

func TestWrite(t *testing.T) {
	tests := []struct{ op, want string }{
		{"insert", writeUpsert}, {"update", writeUpsert}, {"read", writeUpsert}, {"load", writeUpsert},
		{"delete", writeDelete}, {"upsert", ""}, {"", ""},
	}
	for _, tt := range tests {
		got, err := write(tt.op)
		require.Equal(t, tt.want, got, tt.op)
		require.Equal(t, tt.want == "", err != nil, tt.op)
	}
}

// TestBackfilledRowsConverge applies a backfill's rows like inserts: a
// row copied again after a change to it was applied (a re-run backfill)
// leaves the row as the copy has it, and a copied row that a later delete
// removes stays removed.
func TestBackfilledRowsConverge(t *testing.T) {
	rows := map[string]string{}
	c := &consumer{log: quiet(), apply: func(_ context.Context, ch *Change) error {
		w, err := write(ch.Op)
		if err != nil {
			return err
		}
		id := ch.Key["id"].(json.Number).String()
		if w == writeDelete {
			delete(rows, id)
		} else {
			rows[id] = ch.After["note"].(string)
		}
		return nil
	}}
	del := change.RowChange{Table: orders, Op: change.Delete, Before: insert(2).After}
	recs := []events.KinesisEventRecord{
		record("s1", lines(txn("0-1-1", 100, read(1), read(2)))...),
		record("s2", lines(txn("0-1-2", 200, insert(3), del))...),
		record("s3", lines(txn("0-1-3", 300, read(1), read(3)))...),
	}
	resp, err := c.handle(t.Context(), events.KinesisEvent{Records: recs})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, map[string]string{"1": "secret note", "3": "secret note"}, rows)

	// The dms format's full load records are accepted too.
	load := dms.Append(nil, txn("0-1-4", 400, read(4)), 0, 0, dms.Options{})
	require.Contains(t, string(load), `"operation":"load"`)
	l, err := decodeLine(load)
	require.NoError(t, err)
	w, err := write(l.Metadata.Operation)
	require.NoError(t, err)
	require.Equal(t, writeUpsert, w)
}

// TestInvokeJSON invokes the handler as lambda.Start does, with the event
// JSON Lambda sends (data in base64) and the response JSON Lambda reads.
func TestInvokeJSON(t *testing.T) {
	data, err := json.Marshal(bytes.Join(lines(txn("0-1-10", 100, insert(1), insert(2))), []byte{'\n'}))
	require.NoError(t, err)
	event := `{"Records":[
		{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"k","sequenceNumber":"s1","data":` + string(data) + `}},
		{"eventSource":"aws:kinesis","kinesis":{"partitionKey":"k","sequenceNumber":"s2","data":"bm90IGpzb24="}}]}`
	var calls int
	c := &consumer{log: quiet(), apply: func(context.Context, *Change) error { calls++; return nil }}
	out, err := lambda.NewHandler(c.handle).Invoke(t.Context(), []byte(event))
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"s2"}]}`, string(out))
	require.Equal(t, 2, calls)
}

// TestDefaultApplyLogsNoValues runs the handler as main does.
func TestDefaultApplyLogsNoValues(t *testing.T) {
	var buf bytes.Buffer
	// Without the time, which may hold any digits.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	c := &consumer{log: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))}
	resp, err := c.handle(t.Context(), events.KinesisEvent{Records: []events.KinesisEventRecord{
		record("s1", lines(txn("0-1-10", 100, insert(7)))...),
	}})
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	out := buf.String()
	require.Contains(t, out, `"op":"insert","write":"upsert","table":"shop.orders","key_columns":1,"change":"eu/0-1-10/0"`)
	require.NotContains(t, out, `"id":7`)
	require.NotContains(t, out, "secret note")
	require.NotContains(t, out, "9.50")
}

// TestDecodeMatchesEnvelope checks the example's own Change against the
// envelope package's decoder on every line of its golden file, which covers
// every column kind, updates, deletes and tables without a primary key.
func TestDecodeMatchesEnvelope(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "internal", "envelope", "testdata", "golden.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		want, err := envelope.Decode(sc.Bytes())
		require.NoError(t, err)
		got, err := decodeLine(sc.Bytes())
		require.NoError(t, err, "line %d", n)
		require.Nil(t, got.Metadata)
		ch := got.Change
		require.Equal(t, want.Source, ch.Source)
		require.Equal(t, want.Schema, ch.Schema)
		require.Equal(t, want.Table, ch.Table)
		require.Equal(t, want.Op, ch.Op)
		require.Equal(t, want.KeyChange, ch.KeyChange)
		require.Equal(t, map[string]any(want.Key), ch.Key)
		require.Equal(t, map[string]any(want.Before), ch.Before)
		require.Equal(t, map[string]any(want.After), ch.After)
		require.Equal(t, want.Changed, ch.Changed)
		require.True(t, want.CommitTime.Equal(ch.CommitTime))
		require.Equal(t, want.GTID, ch.GTID)
		require.Equal(t, want.Binlog.File, ch.Binlog.File)
		require.Equal(t, want.Binlog.Pos, ch.Binlog.Pos)
		require.Equal(t, want.Row, ch.Row)
	}
	require.NoError(t, sc.Err())
	require.Positive(t, n)
}

// TestKeyChangeConverges applies the records of two shards, each in order,
// in every interleaving: the key-changing update of id 1 to 2 went as a
// delete under key 1 and an insert under key 2, so the re-insert of id 1
// after it can never be undone, and the rows end as in the source.
func TestKeyChangeConverges(t *testing.T) {
	first := lines(txn("0-1-1", 100, insert(1)))[0]
	moved := halves(txn("0-1-2", 200, update(1, 2)), 0)
	again := lines(txn("0-1-3", 300, insert(1)))[0]
	// Partition key 1's shard and partition key 2's shard.
	shardA := []events.KinesisEventRecord{record("a1", first), record("a2", moved[0]), record("a3", again)}
	shardB := []events.KinesisEventRecord{record("b1", moved[1])}

	// Every merge of the two shards that keeps each one's order: which of
	// the four positions shardB's record takes.
	for at := 0; at <= len(shardA); at++ {
		rows := map[string]bool{}
		c := &consumer{log: quiet(), apply: func(_ context.Context, ch *Change) error {
			id := ch.Key["id"].(json.Number).String()
			if ch.Op == "delete" {
				delete(rows, id)
			} else {
				rows[id] = true
			}
			return nil
		}}
		// One invocation per record, as Lambda may deliver the shards.
		merged := append(append(append([]events.KinesisEventRecord(nil), shardA[:at]...), shardB...), shardA[at:]...)
		for _, rec := range merged {
			resp, err := c.handle(t.Context(), events.KinesisEvent{Records: []events.KinesisEventRecord{rec}})
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
		}
		require.Equal(t, map[string]bool{"1": true, "2": true}, rows, "shard B's record at %d", at)
	}
}

// statementTxn is a transaction holding the table statement d alone.
func statementTxn(gtid string, pos uint32, d change.DDL) *change.Txn {
	t := txn(gtid, pos)
	t.DDL = []change.DDL{d}
	return t
}

func TestControlRecords(t *testing.T) {
	trunc := statementTxn("0-1-20", 500, change.DDL{Kind: change.DDLTruncate, Schema: "shop", Table: "orders"})
	truncate := envelope.AppendDDL(nil, trunc, 0, 0)
	drop := envelope.AppendDDL(nil, statementTxn("0-1-21", 600, change.DDL{Kind: change.DDLDrop, Schema: "shop", Table: "orders"}), 0, 0)
	alter := envelope.AppendDDL(nil, statementTxn("0-1-22", 700,
		change.DDL{Kind: change.DDLAlter, Schema: "shop", Table: "orders", Columns: []string{"note"}}), 0, 0)
	dmsTruncate := dms.AppendControl(nil, trunc, 0, 0, dms.Options{})
	dmsDrop := dms.AppendControl(nil, statementTxn("0-1-21", 600, change.DDL{Kind: change.DDLDrop, Schema: "shop", Table: "orders"}), 0, 0, dms.Options{})
	one := lines(txn("0-1-10", 100, insert(1), insert(2)))
	tests := []struct {
		name         string
		records      []events.KinesisEventRecord
		fail         bool // the truncate fails
		wantCalls    []string
		wantFailures []string
	}{
		{name: "a truncate is applied in order with the rows",
			records:   []events.KinesisEventRecord{record("s1", one[0]), record("s2", truncate), record("s3", one[1])},
			wantCalls: []string{"insert 1", "truncate shop.orders", "insert 2"}},
		{name: "other statements are passed over",
			records:   []events.KinesisEventRecord{record("s1", drop), record("s2", alter, one[0])},
			wantCalls: []string{"insert 1"}},
		{name: "a repeated truncate is applied once",
			records:   []events.KinesisEventRecord{record("s1", truncate), record("s2", truncate)},
			wantCalls: []string{"truncate shop.orders"}},
		{name: "a failed truncate stops the batch", fail: true,
			records:      []events.KinesisEventRecord{record("s1", one[0]), record("s2", truncate), record("s3", one[1])},
			wantCalls:    []string{"insert 1", "truncate shop.orders"},
			wantFailures: []string{"s2"}},
		{name: "dms truncate-table is applied, other control records logged",
			records:   []events.KinesisEventRecord{record("s1", dmsDrop), record("s2", dmsTruncate)},
			wantCalls: []string{"truncate shop.orders"}},
		{name: "unknown statement is malformed",
			records: []events.KinesisEventRecord{record("s1", bytes.Replace(drop, []byte(`"ddl":"drop"`),
				[]byte(`"ddl":"create"`), 1))},
			wantFailures: []string{"s1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			c := &consumer{log: quiet(),
				apply: func(_ context.Context, ch *Change) error {
					calls = append(calls, ch.Op+" "+ch.Key["id"].(json.Number).String())
					return nil
				},
				truncate: func(_ context.Context, ch *Change) error {
					require.Equal(t, "ddl", ch.Op)
					require.Equal(t, "truncate", ch.DDL)
					require.True(t, trunc.CommitTime.Equal(ch.CommitTime))
					calls = append(calls, "truncate "+ch.Schema+"."+ch.Table)
					if tt.fail {
						return errors.New("target unavailable")
					}
					return nil
				}}
			resp, err := c.handle(t.Context(), events.KinesisEvent{Records: tt.records})
			require.NoError(t, err)
			var failures []string
			for _, f := range resp.BatchItemFailures {
				failures = append(failures, f.ItemIdentifier)
			}
			require.Equal(t, tt.wantFailures, failures)
			require.Equal(t, tt.wantCalls, calls)
		})
	}
}

// TestDecodeControlMatchesEnvelope checks the example's Change against
// the envelope package's decoder on the control records' golden file.
func TestDecodeControlMatchesEnvelope(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "internal", "envelope", "testdata", "golden-ddl.jsonl"))
	require.NoError(t, err)
	n := 0
	for _, raw := range bytes.Split(bytes.TrimSpace(data), []byte{'\n'}) {
		n++
		want, err := envelope.Decode(raw)
		require.NoError(t, err)
		got, err := decodeLine(raw)
		require.NoError(t, err, "line %d", n)
		ch := got.Change
		require.Equal(t, []string{want.Source, want.Schema, want.Table, want.Op, want.DDL, want.NewSchema, want.NewTable},
			[]string{ch.Source, ch.Schema, ch.Table, ch.Op, ch.DDL, ch.NewSchema, ch.NewTable})
		require.Equal(t, want.Columns, ch.Columns)
		require.Equal(t, want.Row, ch.Row)
	}
	require.Equal(t, 4, n)
}

// TestTruncateOnEveryShardConverges applies two shards' records, each in
// order, in every interleaving, with a consumer that truncates as
// logTruncate says: rows whose last change precedes the statement go. The
// sink sent the truncate to both shards; the rows end as in the source
// whichever shard is read first.
func TestTruncateOnEveryShardConverges(t *testing.T) {
	trunc := envelope.AppendDDL(nil, statementTxn("0-1-3", 300, change.DDL{Kind: change.DDLTruncate, Schema: "shop", Table: "orders"}), 0, 0)
	shardA := []events.KinesisEventRecord{record("a1", lines(txn("0-1-1", 100, insert(1)))[0]), record("a2", trunc),
		record("a3", lines(txn("0-1-5", 500, insert(3)))[0])}
	shardB := []events.KinesisEventRecord{record("b1", lines(txn("0-1-2", 200, insert(2)))[0]), record("b2", trunc),
		record("b3", lines(txn("0-1-4", 400, insert(4)))[0])}
	// seq reads the sequence number of a MariaDB GTID "0-1-n".
	seq := func(ch *Change) int {
		n, err := strconv.Atoi(ch.GTID[len("0-1-"):])
		require.NoError(t, err)
		return n
	}
	for a := 0; a <= len(shardA); a++ {
		for b := 0; b <= len(shardB); b++ {
			// Shard A's first a records, then shard B's first b, then
			// the rest of A, then the rest of B.
			merged := slices.Concat(shardA[:a], shardB[:b], shardA[a:], shardB[b:])
			rows := map[string]int{} // id: position of its last change; < 0: a tombstone
			c := &consumer{log: quiet(),
				apply: func(_ context.Context, ch *Change) error {
					id := ch.Key["id"].(json.Number).String()
					if last, ok := rows[id]; ok && abs(last) >= seq(ch) {
						return nil // at or before what the row holds
					}
					rows[id] = seq(ch)
					return nil
				},
				truncate: func(_ context.Context, ch *Change) error {
					for id, last := range rows {
						if last > 0 && last < seq(ch) {
							rows[id] = -seq(ch)
						}
					}
					return nil
				}}
			for _, rec := range merged {
				resp, err := c.handle(t.Context(), events.KinesisEvent{Records: []events.KinesisEventRecord{rec}})
				require.NoError(t, err)
				require.Empty(t, resp.BatchItemFailures)
			}
			live := map[string]bool{}
			for id, last := range rows {
				if last > 0 {
					live[id] = true
				}
			}
			require.Equal(t, map[string]bool{"3": true, "4": true}, live, "%d of shard A first, then %d of B", a, b)
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
