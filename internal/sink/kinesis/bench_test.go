package kinesis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// BenchmarkSinkVersusBarePutRecords sends the same 20,000 row changes into
// the emulator through the Sink and through a bare PutRecords loop (the
// Sink's records, encoded by its own functions, in calls of 500 from
// MaxInFlight goroutines, failed records sent again), three times each,
// alternately, and compares the median records/s. Each side is timed from
// its first send until everything is acknowledged (the Sink: every Apply
// and Flush). Goal: ratio at least 0.8.
//
// Every run writes to a fresh stream of benchShards shards, deleted after:
// the emulator's PutRecords costs more the more records the shard already
// holds (see benchShards), so a stream reused, or one of 2 shards, would
// make the later calls of a run, and the later runs, many times slower
// than the first ones and the emulator alone would set the pace.
func BenchmarkSinkVersusBarePutRecords(b *testing.B) {
	const changes, keys, rounds = 20_000, 3_000, 3
	e := startEmulator(b)
	txns, _ := workload(11, changes, keys)
	recs := encodeAll(Options{Stream: "any"}, txns)
	for i := range b.N {
		var sinkRates, bareRates []float64
		var sinkSum, bareSum string
		for r := range rounds {
			sinkRun := func() {
				stream := e.streamOf(b, fmt.Sprintf("sink-%d-%d", i, r), benchShards)
				s := e.open(b, Options{Stream: stream}, nil)
				d := drain(b, s, txns)
				require.NoError(b, s.Close())
				sinkRates = append(sinkRates, float64(len(recs))/d.Seconds())
				if r == 0 {
					sinkSum = e.readBack(b, stream, len(recs))
				}
				e.deleteStream(b, stream)
			}
			bareRun := func() {
				stream := e.streamOf(b, fmt.Sprintf("bare-%d-%d", i, r), benchShards)
				d := e.putBare(b, stream, recs, DefaultMaxInFlight)
				bareRates = append(bareRates, float64(len(recs))/d.Seconds())
				if r == 0 {
					bareSum = e.readBack(b, stream, len(recs))
				}
				e.deleteStream(b, stream)
			}
			// Alternate which goes first, against drift in the emulator.
			if r%2 == 0 {
				sinkRun()
				bareRun()
			} else {
				bareRun()
				sinkRun()
			}
		}
		require.Equal(b, bareSum, sinkSum, "the sink and the bare loop sent the same records")
		sinkRate, bareRate := median(sinkRates), median(bareRates)
		b.ReportMetric(sinkRate, "sink-records/s")
		b.ReportMetric(bareRate, "bare-records/s")
		b.ReportMetric(sinkRate/bareRate, "ratio")
		b.Logf("%d records (%d keys, %.0f bytes of data on average), %d calls in flight, %d-shard streams: sink %s records/s, bare PutRecords %s records/s; medians %.0f and %.0f, ratio %.2f (goal >= 0.8)",
			len(recs), keys, meanSize(recs), DefaultMaxInFlight, benchShards, rates(sinkRates), rates(bareRates),
			sinkRate, bareRate, sinkRate/bareRate)
	}
}

// benchShards is the shard count of the streams the emulator stores
// benchmark records in. For every record it adds, kinesis-local 0.6.2
// hashes the records already in the shard (PutRecordsRequest groups the
// new records by shard and current records), so a call's cost grows with
// the shard's size: a call of 500 records takes about 0.1 s into an empty
// stream of 2 shards and 2.2 s once a shard holds 10,000. Spreading the
// records over more shards keeps that cost down; neither the Sink nor the
// bare loop depend on the shard count.
const benchShards = 16

// BenchmarkThrottledShareOfLimit measures the share of Kinesis's per-shard
// write limits the Sink achieves on a 2-shard stream behind a throttle
// that enforces them, for about 12 seconds' worth of data at the limit:
//
//   - plain: no aggregation, primary_key partition keys, records of a few
//     hundred bytes, so 1,000 records/s per shard binds; the share is
//     records/s over 1,000 per shard used.
//   - aggregated: Aggregate and partition key "table" over 8 tables, 4 per
//     shard, so 1 MiB/s per shard binds; the share is bytes/s (data and
//     partition key of the Kinesis records) over 1 MiB per shard used.
//
// Goal: at least 0.9 of the limit. Both runs start with empty buckets and
// are timed from the first Apply until Flush returns.
//
// The plain run's 24,000 records would take the emulator longer than the
// limits allow if a 2-shard stream stored them (see benchShards): its
// stream has plainShards shards, and the throttle applies the limits of
// the shards of a 2-shard stream to it.
func BenchmarkThrottledShareOfLimit(b *testing.B) {
	const seconds, plainShards = 12, 40
	e := startEmulator(b)
	layout := e.streamOf(b, "layout", 2)
	for i := range b.N {
		plainStream := e.streamOf(b, fmt.Sprintf("plain-%d", i), plainShards)
		p := e.throttle(b, plainStream, layout)
		txns := rowChanges(21, []*change.Table{items}, seconds*2*shardRecordsPerSecond, 12_000)
		plain := e.throttledRun(b, p, Options{Stream: plainStream}, txns)
		share := plain.records / plain.elapsed.Seconds() / float64(plain.shards*shardRecordsPerSecond)
		plain.log(b, "plain", share, false)
		e.deleteStream(b, plainStream)

		aggStream := e.streamOf(b, fmt.Sprintf("aggregated-%d", i), 2)
		p = e.throttle(b, aggStream, aggStream)
		opts := Options{Stream: aggStream, PartitionKey: PartitionKeyTable, Aggregate: true}
		tables := balancedTables(p, 8)
		sample := encodeAll(opts, rowChanges(22, tables, 2000, 50_000))
		n := seconds * 2 * shardBytesPerSecond / int(meanSize(sample)+1)
		agg := e.throttledRun(b, p, opts, rowChanges(23, tables, n, 50_000))
		aggShare := agg.bytes / agg.elapsed.Seconds() / float64(agg.shards*shardBytesPerSecond)
		agg.log(b, "aggregated", aggShare, true)
		e.deleteStream(b, aggStream)

		b.ReportMetric(share, "share-plain")
		b.ReportMetric(aggShare, "share-aggregated")
		b.ReportMetric(float64(plain.changes)/plain.elapsed.Seconds(), "changes/s-plain")
		b.ReportMetric(float64(agg.changes)/agg.elapsed.Seconds(), "changes/s-aggregated")
	}
}

// throttledResult is one run of the Sink behind a throttle.
type throttledResult struct {
	changes        int
	elapsed        time.Duration
	records, bytes float64 // Kinesis records and their bytes let through
	// wastedRecords and wastedBytes are the limits' worth left unused
	// while the buckets were full.
	wastedRecords, wastedBytes float64
	shards                     int // that received records
	retried                    uint64
	stats                      throttleStats
	perSecond                  []acceptedSecond // of all shards together
}

// throttledRun drains txns through a new sink with opts behind p, its
// buckets emptied at the first Apply.
func (e *emulator) throttledRun(b testing.TB, p *throttle, opts Options, txns []*change.Txn) throttledResult {
	s := e.open(b, opts, p)
	p.reset()
	res := throttledResult{elapsed: drain(b, s, txns), retried: s.Retried()}
	res.stats = p.stats(time.Now())
	require.NoError(b, s.Close())
	for _, txn := range txns {
		res.changes += len(txn.Changes)
	}
	require.Equal(b, uint64(res.changes), s.Sent())
	require.Zero(b, res.stats.misplaced, "records the emulator put in another shard than the MD5 of their key says")
	for _, sh := range res.stats.shards {
		res.records += float64(sh.accepted)
		res.bytes += float64(sh.acceptedBytes)
		res.wastedRecords += sh.wastedRecords
		res.wastedBytes += sh.wastedBytes
		if sh.accepted > 0 {
			res.shards++
		}
		for sec, a := range sh.perSecond {
			for len(res.perSecond) <= sec {
				res.perSecond = append(res.perSecond, acceptedSecond{})
			}
			res.perSecond[sec].records += a.records
			res.perSecond[sec].bytes += a.bytes
		}
	}
	return res
}

// log prints what r achieved and the timeline of what got through, per
// second, in records or KiB.
func (r throttledResult) log(b testing.TB, name string, share float64, inBytes bool) {
	b.Helper()
	split := make([]string, len(r.stats.shards))
	for i, sh := range r.stats.shards {
		split[i] = fmt.Sprintf("%d records %.1f MiB", sh.accepted, float64(sh.acceptedBytes)/(1<<20))
	}
	unit, timeline := "records", make([]string, len(r.perSecond))
	for i, a := range r.perSecond {
		if inBytes {
			unit, timeline[i] = "KiB", fmt.Sprint(a.bytes>>10)
		} else {
			timeline[i] = fmt.Sprint(a.records)
		}
	}
	b.Logf("%s: %d changes in %.1fs, %.0f changes/s; %.0f Kinesis records of %.0f bytes on average, %.0f/s, %.2f MiB/s, over %d shards (%s); share of the limit %.2f (goal >= 0.9); records refused %d, sink retries %d; emulator answered in %s on average, %s at worst",
		name, r.changes, r.elapsed.Seconds(), float64(r.changes)/r.elapsed.Seconds(), r.records, r.bytes/r.records,
		r.records/r.elapsed.Seconds(), r.bytes/r.elapsed.Seconds()/(1<<20), r.shards, strings.Join(split, ", "),
		share, r.stats.throttled, r.retried, r.stats.forwardMean.Round(time.Millisecond), r.stats.forwardWorst.Round(time.Millisecond))
	b.Logf("%s: %s let through in each second: %s", name, unit, strings.Join(timeline, " "))
	tries := make([]string, len(r.stats.tries))
	for n, c := range r.stats.tries {
		tries[n] = fmt.Sprintf("%d:%d", n, c)
	}
	limit := r.elapsed.Seconds() * float64(r.shards)
	b.Logf("%s: limits unused while the buckets were full (nothing asked): %.0f%% of the records', %.0f%% of the bytes'; Kinesis records let through after n refusals of their key (n:records, %d+ last): %s",
		name, 100*r.wastedRecords/(limit*shardRecordsPerSecond), 100*r.wastedBytes/(limit*shardBytesPerSecond),
		maxTries, strings.Join(tries, " "))
}

// deleteStream deletes stream and waits until it is gone, which returns
// its shards to the emulator's limit.
func (e *emulator) deleteStream(b testing.TB, stream string) {
	ctx := b.Context()
	_, err := e.client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(stream)})
	require.NoError(b, err)
	w := kinesis.NewStreamNotExistsWaiter(e.client, func(o *kinesis.StreamNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	require.NoError(b, w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, 30*time.Second))
}

// throttle puts a throttle with the limits of layout's shards in front of
// the emulator for stream.
func (e *emulator) throttle(b testing.TB, stream, layout string) *throttle {
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	b.Cleanup(tr.CloseIdleConnections)
	p, err := newThrottle(b.Context(), e.client, stream, layout, tr)
	require.NoError(b, err)
	return p
}

// drain applies txns to s and flushes it, and returns how long that took.
func drain(b testing.TB, s *Sink, txns []*change.Txn) time.Duration {
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	for _, txn := range txns {
		require.NoError(b, s.Apply(ctx, txn))
	}
	require.NoError(b, s.Flush(ctx))
	return time.Since(start)
}

// putBare sends recs to stream with PutRecords in calls of MaxBatchRecords
// from workers goroutines, each call's failed records sent again in a call
// of their own, and returns how long it took until all were acknowledged.
// Its client is as the sink's: no SDK retries, a transport of its own.
func (e *emulator) putBare(b testing.TB, stream string, recs []kinesisRecord, workers int) time.Duration {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers + 1
	defer tr.CloseIdleConnections()
	api := kinesis.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient: &http.Client{Transport: tr}, Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(e.Endpoint) })
	var calls [][]types.PutRecordsRequestEntry
	for batch := range slices.Chunk(recs, MaxBatchRecords) {
		entries := make([]types.PutRecordsRequestEntry, len(batch))
		for i, r := range batch {
			entries[i] = types.PutRecordsRequestEntry{Data: r.data, PartitionKey: aws.String(r.pk)}
		}
		calls = append(calls, entries)
	}

	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan []types.PutRecordsRequestEntry)
	g.Go(func() error {
		defer close(work)
		for _, c := range calls {
			select {
			case work <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for entries := range work {
				if err := putAll(ctx, api, stream, entries); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(b, g.Wait())
	return time.Since(start)
}

// putAll sends entries until every one is acknowledged, the failed ones
// again after 50 ms; it gives up after 100 calls.
func putAll(ctx context.Context, api *kinesis.Client, stream string, entries []types.PutRecordsRequestEntry) error {
	for attempt := 0; len(entries) > 0; attempt++ {
		if attempt == 100 {
			return errors.New("bare PutRecords: records still failing after 100 calls")
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		out, err := api.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			continue
		}
		var failed []types.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				failed = append(failed, entries[i])
			}
		}
		entries = failed
	}
	return nil
}

// kinesisRecord is one Kinesis record as the sink sends it unaggregated.
type kinesisRecord struct {
	pk   string
	data []byte
}

// encodeAll returns the records a sink with opts sends for txns, one per
// change, encoded by the sink's own functions.
func encodeAll(opts Options, txns []*change.Txn) []kinesisRecord {
	opts.ensureDefaults()
	routes, enc := compileRoutes(&opts), newEncoder(opts.Format)
	var out []kinesisRecord
	for _, txn := range txns {
		first := txn.FirstRow
		for i := range txn.Changes {
			r := matchRoute(routes, txn.Changes[i].Table.QualifiedName())
			out = append(out, kinesisRecord{pk: r.partitionKey(txn, i), data: enc.appendRecord(nil, txn, i, first+i, dms.Context{}, r, envelope.WholeChange)})
		}
	}
	return out
}

// readBack reads stream as readAll does and returns a digest of the
// records' number, partition keys and data, whatever their order.
func (e *emulator) readBack(b testing.TB, stream string, want int) string {
	var got []string
	for _, r := range e.readAll(b, stream, want) {
		got = append(got, r.pk+"\x00"+string(r.data))
	}
	slices.Sort(got)
	h := sha256.New()
	fmt.Fprintf(h, "%d records\n", len(got))
	for _, g := range got {
		h.Write([]byte(g))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// rowChanges builds single-part transactions of 1 to 20 changes, changes
// in all. Each inserts a random row (of keys per table) of a random table
// of tables, or updates its n when the row exists; text values hold 0 to
// 59 bytes.
func rowChanges(seed uint64, tables []*change.Table, changes, keys int) []*change.Txn {
	rng := rand.New(rand.NewPCG(seed, 3))
	live := map[string]change.Row{}
	var txns []*change.Txn
	for n := 0; n < changes; {
		seq := uint64(len(txns) + 1)
		pos := uint32(seq * 1000)
		txn := &change.Txn{Source: "src", Seq: seq, Last: true, GTID: "0-1-" + itoa(int64(seq)),
			CommitTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Begin:      change.Position{File: "mysql-bin.000001", Pos: pos},
			End:        change.Position{File: "mysql-bin.000001", Pos: pos + 999}}
		for size := 1 + rng.IntN(20); size > 0 && n < changes; size-- {
			n++
			t := tables[rng.IntN(len(tables))]
			id := int64(rng.IntN(keys))
			row := t.Name + "/" + itoa(id)
			c := change.RowChange{Table: t, Op: change.Insert,
				After: change.Row{id, strings.Repeat("x", rng.IntN(60)), int64(n)}}
			if before, ok := live[row]; ok {
				c = change.RowChange{Table: t, Op: change.Update, Before: before,
					After: change.Row{id, before[1], int64(n)}, Changed: []int{2}}
			}
			live[row] = c.After
			txn.Changes = append(txn.Changes, c)
		}
		txns = append(txns, txn)
	}
	return txns
}

// balancedTables returns n tables shaped like items (shop.t0, shop.t1,
// ... skipping some) whose names, as "table" partition keys, fall evenly
// on the shards of p, so that every shard can reach its limit.
func balancedTables(p *throttle, n int) []*change.Table {
	per := make([]int, len(p.ranges))
	var out []*change.Table
	for i := 0; len(out) < n; i++ {
		t := *items
		t.Name = fmt.Sprintf("t%d", i)
		if sh := shardOf(p.ranges, t.QualifiedName()); per[sh] < n/len(p.ranges) {
			per[sh]++
			out = append(out, &t)
		}
	}
	return out
}

func meanSize(recs []kinesisRecord) float64 {
	total := 0
	for _, r := range recs {
		total += len(r.data)
	}
	return float64(total) / float64(len(recs))
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// rates formats xs as "a, b, c".
func rates(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, ", ")
}
