package kinesis

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// testKeyChanges sends, for many rows, an insert of id a, an update of a to
// b and a re-insert of a, through partial failures, and checks that a
// consumer applying each shard's records in order, however the shards
// interleave, ends with the source's rows: a and b.
func testKeyChanges(t *testing.T, e *emulator) {
	stream := e.stream(t, "key-changes")
	f := newInjector(11)
	f.set(failShare, 0.4)
	s := e.open(t, Options{Stream: stream, maxBackoff: 200 * time.Millisecond}, f)

	const pairs = 40
	var txns []*change.Txn
	add := func(c change.RowChange) {
		seq := uint64(len(txns) + 1)
		txns = append(txns, &change.Txn{Source: "src", Seq: seq, Last: true, GTID: "0-1-" + itoa(int64(seq)),
			CommitTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Begin:      change.Position{File: "mysql-bin.000001", Pos: uint32(seq * 100)},
			End:        change.Position{File: "mysql-bin.000001", Pos: uint32(seq*100 + 99)},
			Changes:    []change.RowChange{c}})
	}
	row := func(id int64, v string) change.Row { return change.Row{id, v, id} }
	for a := range int64(pairs) {
		add(change.RowChange{Table: items, Op: change.Insert, After: row(a, "first")})
	}
	for a := range int64(pairs) {
		b := a + 1000
		add(change.RowChange{Table: items, Op: change.Update, Before: row(a, "first"), After: row(b, "moved"),
			Changed: []int{0, 1, 2}})
		add(change.RowChange{Table: items, Op: change.Insert, After: row(a, "again")})
	}
	applyAll(t, s, txns)
	flush(t, s)
	require.Equal(t, uint64(len(txns)), s.Sent())
	require.Positive(t, f.failedRecords.Load(), "records failed and were retried")

	want := map[int64]string{}
	for _, txn := range txns {
		c := &txn.Changes[0]
		if c.Op == change.Update {
			delete(want, c.Before[0].(int64))
		}
		want[c.After[0].(int64)] = c.After[1].(string)
	}

	recs := e.readAll(t, stream, len(txns)+pairs)
	require.Equal(t, len(txns)+pairs, len(recs), "an update that changes its key is two records")
	var shards [][]envelope.Envelope
	shardOf := map[int64]string{}
	for i, r := range recs {
		if i == 0 || r.shard != recs[i-1].shard {
			shards = append(shards, nil)
		}
		env, err := envelope.Decode(r.data)
		require.NoError(t, err)
		require.Equal(t, envelope.Image{"id": env.Key["id"]}, env.Key)
		id := keyID(t, env)
		if sh, ok := shardOf[id]; ok {
			require.Equal(t, sh, r.shard, "the records of id %d on one shard", id)
		}
		shardOf[id] = r.shard
		shards[len(shards)-1] = append(shards[len(shards)-1], env)
	}
	require.Len(t, shards, 2, "records on both shards")
	crossing := 0
	for a := range int64(pairs) {
		if shardOf[a] != shardOf[a+1000] {
			crossing++
		}
	}
	require.Positive(t, crossing, "some rows move to the other shard")

	// Each shard alone first, then random interleavings.
	orders := [][][]envelope.Envelope{
		slices.Concat(shards[0:1], shards[1:2]),
		slices.Concat(shards[1:2], shards[0:1]),
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 20 {
		orders = append(orders, interleave(rng, shards))
	}
	for i, order := range orders {
		require.Equal(t, want, consume(t, order), "order %d", i)
	}
}

// interleave returns one sequence per shard, each in its order: one
// random merge of shards.
func interleave(rng *rand.Rand, shards [][]envelope.Envelope) [][]envelope.Envelope {
	next := make([]int, len(shards))
	var out []envelope.Envelope
	for {
		var open []int
		for i, sh := range shards {
			if next[i] < len(sh) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			return [][]envelope.Envelope{out}
		}
		i := open[rng.IntN(len(open))]
		out = append(out, shards[i][next[i]])
		next[i]++
	}
}

// consume applies the sequences one after the other as the example
// consumer does: an insert or update writes the after image at the key, a
// delete removes the key; an update whose before image has another key
// (which the sink never sends) would remove that one first. It returns the
// rows' v by id.
func consume(t *testing.T, seqs [][]envelope.Envelope) map[int64]string {
	rows := map[int64]string{}
	for _, seq := range seqs {
		for _, env := range seq {
			id := keyID(t, env)
			if env.Op == "delete" {
				delete(rows, id)
				continue
			}
			if env.Op == "update" {
				old, err := env.Before["id"].(json.Number).Int64()
				require.NoError(t, err)
				delete(rows, old)
			}
			rows[id] = env.After["v"].(string)
		}
	}
	return rows
}

func keyID(t *testing.T, env envelope.Envelope) int64 {
	t.Helper()
	id, err := env.Key["id"].(json.Number).Int64()
	require.NoError(t, err)
	return id
}
