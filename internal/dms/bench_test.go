package dms

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// typicalUpdate is an update of a 10-column row, the envelope benchmark's.
func typicalUpdate() *change.Txn {
	table := &change.Table{
		Schema: "accounts", Name: "users",
		Columns: []change.Column{
			{Name: "id", Kind: change.KindInt},
			{Name: "account_id", Kind: change.KindUint},
			{Name: "email", Kind: change.KindString},
			{Name: "name", Kind: change.KindString},
			{Name: "balance", Kind: change.KindDecimal},
			{Name: "created_at", Kind: change.KindDateTime},
			{Name: "updated_at", Kind: change.KindTimestamp},
			{Name: "status", Kind: change.KindEnum},
			{Name: "score", Kind: change.KindDouble},
			{Name: "avatar_hash", Kind: change.KindBytes},
		},
		PrimaryKey: []int{0},
	}
	before := change.Row{int64(42), uint64(9001), "ann@example.com", "Ann", change.Decimal("1024.5000"),
		change.Temporal("2024-05-01 10:00:00.000000"), change.Temporal("2026-11-22 03:56:48.123456"),
		"active", 0.75, []byte("0123456789abcdef")}
	after := append(change.Row(nil), before...)
	after[3] = "Anna"
	after[6] = change.Temporal("2026-11-22 03:56:49.000001")
	return &change.Txn{
		Source: "jp-accounts", Seq: 1, Last: true, GTID: "0-1-55",
		CommitTime: time.Date(2026, 11, 22, 3, 56, 48, 123456000, time.UTC),
		Begin:      change.Position{File: "mysql-bin.000003", Pos: 1234},
		Changes:    []change.RowChange{{Table: table, Op: change.Update, Before: before, After: after, Changed: []int{3, 6}}},
	}
}

// benchOpts turns on every optional field.
var benchOpts = Options{BeforeImage: true, TransactionDetails: true}

// asMap builds the map[string]any that json.Marshal needs to produce the
// same record as Append with benchOpts.
func asMap(txn *change.Txn) map[string]any {
	c := txn.Changes[0]
	image := func(row change.Row) map[string]any {
		m := make(map[string]any, len(row))
		for i, col := range c.Table.Columns {
			v := row[i]
			if d, ok := v.(change.Decimal); ok {
				v = json.Number(d)
			}
			m[col.Name] = v
		}
		return m
	}
	at := txn.CommitTime.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	return map[string]any{
		"data":         image(c.After),
		"before-image": image(c.Before),
		"metadata": map[string]any{
			"timestamp": at, "record-type": "data", "operation": c.Op.String(),
			"partition-key-type": PartitionKeyPrimaryKey,
			"schema-name":        c.Table.Schema, "table-name": c.Table.Name,
			"transaction-id":        TransactionID(txn),
			"transaction-record-id": 1,
			"commit-timestamp":      at,
			"stream-position":       StreamPosition(txn, true),
		},
	}
}

func TestBenchMapIsEquivalent(t *testing.T) {
	txn := typicalUpdate()
	want, err := json.Marshal(asMap(txn))
	require.NoError(t, err)
	require.Equal(t, decode(t, want), decode(t, Append(nil, txn, 0, 0, benchOpts)))
}

// BenchmarkAppend times Append and json.Marshal of an equivalent map built
// once up front, in batches within the same run, and reports both costs
// and the speed-up; the map's construction is not timed, so the speed-up
// is a lower bound.
func BenchmarkAppend(b *testing.B) {
	const batch = 100
	txn := typicalUpdate()
	m := asMap(txn)
	var buf []byte
	var ours, theirs time.Duration
	records := 0
	for b.Loop() {
		start := time.Now()
		for range batch {
			buf = Append(buf[:0], txn, 0, 0, benchOpts)
		}
		ours += time.Since(start)

		start = time.Now()
		for range batch {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
		theirs += time.Since(start)
		records += batch
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(records), "dms-ns/record")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(records), "json-ns/record")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "speedup")
}
