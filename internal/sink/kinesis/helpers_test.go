package kinesis

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// emulator is a kinesis-local emulator shared by the subtests of one test.
type emulator struct {
	*testenv.Kinesis
	client *kinesis.Client
}

func startEmulator(t testing.TB) *emulator {
	t.Helper()
	k := testenv.StartKinesisT(t)
	return &emulator{Kinesis: k, client: k.Client()}
}

// stream creates a stream of two shards.
func (e *emulator) stream(t testing.TB, name string) string {
	return e.streamOf(t, name, 2)
}

// streamOf creates a stream of shards shards.
func (e *emulator) streamOf(t testing.TB, name string, shards int32) string {
	t.Helper()
	require.NoError(t, e.CreateStream(t.Context(), name, shards))
	return name
}

// open starts a sink on the emulator, with rt (when not nil) in front of
// it, closed when the test ends.
func (e *emulator) open(t testing.TB, opts Options, rt http.RoundTripper) *Sink {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	var hc http.RoundTripper = tr
	if rt != nil {
		hc = rt
		if f, ok := rt.(*injector); ok {
			f.next = tr
		}
	}
	opts.Region, opts.Endpoint = "us-east-1", e.Endpoint
	opts.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	opts.ClientOptions = append(opts.ClientOptions, func(o *kinesis.Options) {
		o.HTTPClient = &http.Client{Transport: hc}
	})
	s, err := New(t.Context(), opts)
	require.NoError(t, err)
	return running(t, s)
}

// running runs s until the test ends, then closes it.
func running(t testing.TB, s *Sink) *Sink {
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, <-done)
	})
	return s
}

// shardRecord is one record read back, with its shard and partition key.
type shardRecord struct {
	shard, pk string
	data      []byte
}

// readAll reads every shard of stream from the start until it holds at
// least want records (or 30 s passed), and returns them shard by shard in
// sequence order.
func (e *emulator) readAll(t testing.TB, stream string, want int) []shardRecord {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		recs, err := e.ReadStream(t.Context(), stream)
		require.NoError(t, err)
		if len(recs) >= want || time.Now().After(deadline) {
			got := make([]shardRecord, len(recs))
			for i, r := range recs {
				got[i] = shardRecord{shard: r.Shard, pk: r.PartitionKey, data: r.Data}
			}
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// items is the table of the workloads: id int PK, v text, n int.
var items = &change.Table{
	Schema: "shop", Name: "items",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindInt}, {Name: "v", Kind: change.KindString}, {Name: "n", Kind: change.KindInt},
	},
	PrimaryKey: []int{0},
}

// applied is one change as the test expects to read it back.
type applied struct {
	op  string
	id  int64
	pos uint32 // the transaction's begin position
	row int    // the change's index within its transaction
	n   int64  // the after image's n (deletes: the before image's)
}

// workload builds parts of random transactions: changes changes of
// inserts, updates and deletes over keys ids, some transactions split into
// several parts, and the changes in the order they are applied.
func workload(seed uint64, changes, keys int) ([]*change.Txn, []applied) {
	rng := rand.New(rand.NewPCG(seed, 1))
	live := map[int64]change.Row{}
	var txns []*change.Txn
	var want []applied
	var seq uint64
	for n := 0; n < changes; {
		seq++
		size := 1 + rng.IntN(40)
		parts := 1
		if rng.IntN(8) == 0 {
			parts = 2 + rng.IntN(3)
		}
		pos := uint32(seq * 1000)
		row := 0
		for p := 0; p < parts; p++ {
			txn := &change.Txn{
				Source: "src", Seq: seq, Part: p, FirstRow: row, Last: p == parts-1, GTID: "0-1-" + itoa(int64(seq)),
				CommitTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
				Begin:      change.Position{File: "mysql-bin.000001", Pos: pos},
				End:        change.Position{File: "mysql-bin.000001", Pos: pos + 999},
			}
			for k := 0; k < size && n < changes; k++ {
				n++
				id := int64(rng.IntN(keys))
				before, ok := live[id]
				c := change.RowChange{Table: items}
				switch {
				case !ok:
					c.Op, c.After = change.Insert, change.Row{id, strings.Repeat("x", rng.IntN(200)), int64(n)}
				case rng.IntN(10) < 7:
					c.Op, c.Before = change.Update, before
					c.After, c.Changed = change.Row{id, before[1], int64(n)}, []int{2}
				default:
					c.Op, c.Before = change.Delete, before
				}
				if c.Op == change.Delete {
					delete(live, id)
				} else {
					live[id] = c.After
				}
				a := applied{op: c.Op.String(), id: id, pos: pos, row: row, n: c.Image()[2].(int64)}
				want = append(want, a)
				txn.Changes = append(txn.Changes, c)
				row++
			}
			txns = append(txns, txn)
		}
	}
	return txns, want
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// applyAll applies every part and fails the test on an error.
func applyAll(t *testing.T, s *Sink, txns []*change.Txn) {
	t.Helper()
	for _, txn := range txns {
		require.NoError(t, s.Apply(t.Context(), txn))
	}
}

// flush flushes s within a deadline.
func flush(t *testing.T, s *Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Flush(ctx))
}

// dmsDefaults are the dms options the config gives by default.
func dmsDefaults() *DMSOptions { return &DMSOptions{} }
