package envelope

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// typicalUpdate is an update of a 10-column row.
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

// asMap builds the map[string]any that json.Marshal needs to produce the
// same envelope.
func asMap(txn *change.Txn) map[string]any {
	c := txn.Changes[0]
	image := func(row change.Row) map[string]any {
		m := make(map[string]any, len(row))
		for i, col := range c.Table.Columns {
			m[col.Name] = row[i]
		}
		return m
	}
	changed := make([]string, len(c.Changed))
	for i, col := range c.Changed {
		changed[i] = c.Table.Columns[col].Name
	}
	return map[string]any{
		"source": txn.Source, "schema": c.Table.Schema, "table": c.Table.Name, "op": c.Op.String(),
		"key":         map[string]any{"id": c.After[0]},
		"before":      image(c.Before),
		"after":       image(c.After),
		"changed":     changed,
		"commit_time": txn.CommitTime.Format("2006-01-02T15:04:05.000000Z07:00"),
		"gtid":        txn.GTID,
		"binlog":      map[string]any{"file": txn.Begin.File, "pos": txn.Begin.Pos},
		"row":         0,
	}
}

// BenchmarkAppend compares Append with json.Marshal of an equivalent map
// built once up front, so the ratio of the two ns/op is a lower bound of the
// speed-up.
func BenchmarkAppend(b *testing.B) {
	txn := typicalUpdate()
	b.Run("envelope", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = Append(buf[:0], txn, 0, 0)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		m := asMap(txn)
		var out []byte
		for b.Loop() {
			var err error
			if out, err = json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(out)))
	})
}
