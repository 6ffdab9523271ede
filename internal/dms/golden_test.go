package dms

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// sampleLines returns the lines of the reference DMS records: records AWS
// DMS wrote to Kinesis, kept in testdata.
func sampleLines(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "dms-kinesis-records.jsonl"))
	require.NoError(t, err)
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	require.NoError(t, sc.Err())
	return lines
}

// cooksnaps is the sample's table.
var cooksnaps = &change.Table{
	Schema: "recipes", Name: "cooksnaps",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt, Type: "bigint"},
		{Name: "recipe_id", Kind: change.KindInt, Type: "bigint", Nullable: true},
		{Name: "user_id", Kind: change.KindInt, Type: "bigint", Nullable: true},
		{Name: "comment", Kind: change.KindString, Type: "varchar(1024)", Charset: "utf8mb4", Nullable: true},
	},
	PrimaryKey: []int{0},
}

// sampleTxns reproduces the sample's data records: an insert, an update and
// a delete, each its own transaction.
func sampleTxns() []*change.Txn {
	yum := change.Row{int64(101), int64(10), int64(2), "yum"}
	again := change.Row{int64(101), int64(10), int64(2), "yum, again"}
	txn := func(at string, pos uint32, c change.RowChange) *change.Txn {
		commit, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			panic(err)
		}
		c.Table = cooksnaps
		return &change.Txn{
			Source: "recipes-primary", Last: true, CommitTime: commit,
			Begin:   change.Position{Flavor: change.MariaDB, File: "mysql-bin.000002", Pos: pos},
			Changes: []change.RowChange{c},
		}
	}
	return []*change.Txn{
		txn("2026-11-21T08:15:02.381466Z", 66, change.RowChange{Op: change.Insert, After: yum}),
		txn("2026-11-21T08:15:09.004512Z", 79, change.RowChange{Op: change.Update, Before: yum, After: again, Changed: []int{3}}),
		txn("2026-11-21T08:16:40.551203Z", 110, change.RowChange{Op: change.Delete, Before: again}),
	}
}

func TestGoldenSample(t *testing.T) {
	var want [][]byte
	for _, line := range sampleLines(t) {
		if m := decode(t, line); m["metadata"].(map[string]any)["record-type"] == "data" {
			want = append(want, line)
		}
	}
	txns := sampleTxns()
	require.Len(t, want, len(txns), "data records in the sample")
	opts := Options{BeforeImage: true}
	for i, txn := range txns {
		t.Run(txn.Changes[0].Op.String(), func(t *testing.T) {
			got := Append(nil, txn, 0, 0, opts)
			require.True(t, json.Valid(got), "%s", got)

			wantTop, wantMeta := keyOrder(t, want[i])
			gotTop, gotMeta := keyOrder(t, got)
			require.Equal(t, wantTop, gotTop, "top-level key order\nwant %s\ngot  %s", want[i], got)
			require.Equal(t, wantMeta, gotMeta, "metadata key order\nwant %s\ngot  %s", want[i], got)

			// The sample's transaction ids are made up: only their type
			// must match.
			wantRec, gotRec := decode(t, want[i]), decode(t, got)
			for _, rec := range []map[string]any{wantRec, gotRec} {
				meta := rec["metadata"].(map[string]any)
				id, ok := meta["transaction-id"].(json.Number)
				require.True(t, ok, "transaction-id %v is not a number", meta["transaction-id"])
				_, err := strconv.ParseUint(string(id), 10, 64)
				require.NoError(t, err, "transaction-id %s", id)
				delete(meta, "transaction-id")
			}
			require.Equal(t, wantRec, gotRec)
		})
	}
}

// decode decodes one record with numbers kept as json.Number.
func decode(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), "%s", line)
	return m
}

// keyOrder returns the keys of the record's top-level object and of its
// "metadata" object, in the order they appear.
func keyOrder(t *testing.T, line []byte) (top, meta []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	keys := func(visit func(key string)) []string {
		var out []string
		tok, err := dec.Token()
		require.NoError(t, err)
		require.Equal(t, json.Delim('{'), tok)
		for dec.More() {
			tok, err := dec.Token()
			require.NoError(t, err)
			key := tok.(string)
			out = append(out, key)
			visit(key)
		}
		tok, err = dec.Token()
		require.NoError(t, err)
		require.Equal(t, json.Delim('}'), tok)
		return out
	}
	skip := func() {
		var raw json.RawMessage
		require.NoError(t, dec.Decode(&raw))
	}
	top = keys(func(key string) {
		if key != "metadata" {
			skip()
			return
		}
		meta = keys(func(string) { skip() })
	})
	return top, meta
}
