package kinesis

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// statement returns a transaction holding only the table statement d, at
// position pos.
func statement(seq uint64, pos uint32, d change.DDL) *change.Txn {
	return &change.Txn{
		Source: "src", Seq: seq, Last: true, GTID: "0-1-" + itoa(int64(seq)),
		CommitTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Begin:      change.Position{File: "mysql-bin.000001", Pos: pos},
		End:        change.Position{File: "mysql-bin.000001", Pos: pos + 999},
		DDL:        []change.DDL{d},
	}
}

// shiftTxns moves every transaction after the statement at pos: later
// sequence numbers and positions.
func shiftTxns(txns []*change.Txn, by uint64) {
	for _, txn := range txns {
		txn.Seq += by
		txn.Begin.Pos += uint32(by * 1000)
		txn.End.Pos += uint32(by * 1000)
	}
}

func TestEmulatorControlRecords(t *testing.T) {
	e := startEmulator(t)
	t.Run("a truncate reaches every shard between the records before and after it", func(t *testing.T) {
		stream := e.streamOf(t, "truncate", 4)
		s := e.open(t, Options{Stream: stream}, nil)
		before, _ := workload(11, 400, 60)
		after, _ := workload(12, 400, 60)
		const gap = 10000 // seqs and positions of after follow the truncate
		shiftTxns(after, gap)
		truncPos := uint32(gap * 1000 / 2)
		applyAll(t, s, before)
		require.NoError(t, s.Apply(t.Context(), statement(gap/2, truncPos,
			change.DDL{Kind: change.DDLTruncate, Schema: "shop", Table: "items"})))
		applyAll(t, s, after)
		flush(t, s)
		recs := e.readAll(t, stream, 804)
		require.Len(t, recs, 804, "800 changes and a control record per shard")
		seen := map[string]bool{}
		for _, r := range recs {
			env, err := envelope.Decode(r.data)
			require.NoError(t, err, "%s", r.data)
			if env.Op == envelope.OpDDL {
				require.False(t, seen[r.shard], "one control record per shard")
				seen[r.shard] = true
				require.Equal(t, "truncate", env.DDL)
				require.Equal(t, "shop", env.Schema)
				require.Equal(t, "items", env.Table)
				require.Equal(t, "shop.items", r.pk)
				continue
			}
			// A shard's records before its control record precede the
			// statement, those after it follow it.
			require.Equal(t, seen[r.shard], env.Binlog.Pos > truncPos, "shard %s record at %d", r.shard, env.Binlog.Pos)
		}
		require.Len(t, seen, 4)
		require.Equal(t, uint64(800), s.Sent(), "control records are not changes")
	})

	t.Run("the statement goes to its table's route; dms format", func(t *testing.T) {
		main, photos := e.streamOf(t, "main-ddl", 1), e.streamOf(t, "photos-ddl", 2)
		s := e.open(t, Options{Stream: main, Format: FormatDMS, DMS: dmsDefaults(),
			Routes: []Route{{Tables: "shop.photos", Stream: photos, PartitionKey: PartitionKeyTransaction}}}, nil)
		require.NoError(t, s.Apply(t.Context(), statement(1, 1000, change.DDL{Kind: change.DDLRename,
			Schema: "shop", Table: "photos", NewSchema: "shop", NewTable: "photos_old"})))
		recs := e.readAll(t, photos, 2)
		require.Len(t, recs, 2)
		for _, r := range recs {
			var rec struct {
				Control  map[string]map[string]string `json:"control"`
				Metadata map[string]any               `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal(r.data, &rec))
			require.Equal(t, "control", rec.Metadata["record-type"])
			require.Equal(t, "rename-table", rec.Metadata["operation"])
			require.Equal(t, "photos_old", rec.Control["rename-to"]["table-name"])
			require.Equal(t, "shop.photos", r.pk, "keyed by table whatever the route's key")
		}
		require.NotEqual(t, recs[0].shard, recs[1].shard)
		require.Empty(t, e.readAll(t, main, 0))
	})
}

func TestControlRecordWithoutShardList(t *testing.T) {
	// A client that cannot list shards: one copy under the table's key.
	f := newFake(1)
	s := fakeSink(t, f, Options{FlushInterval: time.Millisecond})
	txns, want := workload(3, 50, 10)
	applyAll(t, s, txns)
	require.NoError(t, s.Apply(t.Context(), statement(999, 999000,
		change.DDL{Kind: change.DDLAlter, Schema: "shop", Table: "items", Columns: []string{"v"}})))
	lines := f.lines()
	require.Len(t, lines["shop.items"], 1, "the control record is acknowledged when Apply returns")
	env, err := envelope.Decode([]byte(lines["shop.items"][0]))
	require.NoError(t, err)
	require.Equal(t, "alter", env.DDL)
	require.Equal(t, []string{"v"}, env.Columns)
	require.Equal(t, uint64(len(want)), s.Sent())
}

func TestControlRecordOfUnroutedTableIsNotSent(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{Routes: []Route{{Tables: "shop.items", Stream: "items"}}})
	require.NoError(t, s.Apply(t.Context(), statement(1, 1000, change.DDL{Kind: change.DDLDrop, Schema: "shop", Table: "other"})))
	flush(t, s)
	require.Empty(t, f.lines())
}

func TestInvalidStatementQueuesNothing(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{})
	txns, _ := workload(3, 5, 10)
	txn := txns[0]
	txn.DDL = []change.DDL{{Kind: change.DDLRename, Schema: "shop", Table: "items"}}
	require.ErrorContains(t, s.Apply(t.Context(), txn), "without the new name")
	flush(t, s)
	require.Empty(t, f.lines())
}

// Without table_alter_operations (DMS's IncludeTableAlterOperations off)
// only a TRUNCATE's control record is sent.
func TestTableAlterOperationsOff(t *testing.T) {
	f := newFake(1)
	off := false
	s := fakeSink(t, f, Options{Format: FormatDMS, DMS: &DMSOptions{TableAlterOperations: &off}})
	for i, d := range []change.DDL{
		{Kind: change.DDLDrop, Schema: "shop", Table: "items"},
		{Kind: change.DDLRename, Schema: "shop", Table: "items", NewSchema: "shop", NewTable: "old"},
		{Kind: change.DDLAlter, Schema: "shop", Table: "items", Columns: []string{"v"}},
		{Kind: change.DDLTruncate, Schema: "shop", Table: "items"},
	} {
		require.NoError(t, s.Apply(t.Context(), statement(uint64(i+1), uint32(1000*(i+1)), d)))
	}
	flush(t, s)
	lines := f.lines()["shop.items"]
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], `"operation":"truncate-table"`)
}
