package kinesis

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Kinesis's write limits of one shard: records, and bytes of data and
// partition key together.
const (
	shardRecordsPerSecond = 1000
	shardBytesPerSecond   = 1 << 20
)

// throttle sits between the SDK and the emulator, which has no write
// limits, and enforces Kinesis's per-shard ones on the PutRecords calls of
// one stream, for the shards of a layout stream: the stream itself, or one
// with fewer shards when the emulator needs more to keep up (see
// BenchmarkThrottledShareOfLimit). Each shard has two token buckets,
// records and bytes, that refill at its limits and hold at most one
// second's worth. A record goes to the shard whose hash key range holds
// the MD5 of its partition key, as in Kinesis; one that finds either
// bucket short fails with ProvisionedThroughputExceededException, and the
// others are forwarded, their results merged back in order as in the
// injector.
type throttle struct {
	next   http.RoundTripper
	stream string
	// layout is the stream whose shards the limits are of; the sink asking
	// for the shards of stream is shown layout's, so it paces by them.
	layout string
	// ranges are the shards the limits apply to; stored the stream's own,
	// to check that the emulator puts each record where the MD5 says.
	ranges, stored []hashRange

	mu struct {
		sync.Mutex
		shards []*shardBucket // as ranges
		// start is when the buckets were last emptied; the timeline
		// counts from it.
		start time.Time
		// throttled counts the records refused; misplaced those the
		// emulator stored in another shard than the one computed.
		throttled, misplaced int
		// forwarded counts the calls forwarded and the time the emulator
		// took to answer them.
		forwarded          int
		forwardTime, worst time.Duration
		// refusals counts the refusals of each partition key since its
		// last record let through; tries how many records were let
		// through after n refusals (the last slot: maxTries or more).
		refusals map[string]int
		tries    [maxTries + 1]int
	}
}

// maxTries is the last slot of the refusal histogram.
const maxTries = 10

// hashRange is the hash key range of a shard, inclusive.
type hashRange struct {
	id         string
	start, end *big.Int
}

// shardBucket is the state of one shard.
type shardBucket struct {
	// records and bytes are the tokens left at last.
	records, bytes float64
	last           time.Time
	// wastedRecords and wastedBytes are tokens lost because the buckets
	// were full: limits unused while nobody asked.
	wastedRecords, wastedBytes float64
	// accepted counts records and bytes let through, in total and per
	// second since start.
	accepted, acceptedBytes int64
	perSecond               []acceptedSecond
}

// acceptedSecond is what a shard let through in one second.
type acceptedSecond struct{ records, bytes int64 }

// newThrottle returns a throttle of stream with the limits of the shards
// of layout, forwarding to next, its buckets empty.
func newThrottle(ctx context.Context, api *kinesis.Client, stream, layout string, next http.RoundTripper) (*throttle, error) {
	ranges, err := listRanges(ctx, api, layout)
	if err != nil {
		return nil, err
	}
	stored, err := listRanges(ctx, api, stream)
	if err != nil {
		return nil, err
	}
	t := &throttle{next: next, stream: stream, layout: layout, ranges: ranges, stored: stored}
	for range ranges {
		t.mu.shards = append(t.mu.shards, &shardBucket{})
	}
	t.reset()
	return t, nil
}

// listRanges returns the hash key ranges of the shards of stream.
func listRanges(ctx context.Context, api *kinesis.Client, stream string) ([]hashRange, error) {
	out, err := api.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		return nil, fmt.Errorf("listing the shards of %s: %w", stream, err)
	}
	var ranges []hashRange
	for _, sh := range out.Shards {
		start, ok1 := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.StartingHashKey), 10)
		end, ok2 := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.EndingHashKey), 10)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("parsing the hash key range of shard %s", aws.ToString(sh.ShardId))
		}
		ranges = append(ranges, hashRange{id: aws.ToString(sh.ShardId), start: start, end: end})
	}
	return ranges, nil
}

// reset empties the buckets and the counters: from now on, at most the
// limits' worth of each elapsed second gets through.
func (t *throttle) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.mu.start, t.mu.throttled, t.mu.misplaced = now, 0, 0
	t.mu.forwarded, t.mu.forwardTime, t.mu.worst = 0, 0, 0
	t.mu.refusals, t.mu.tries = map[string]int{}, [maxTries + 1]int{}
	for _, sh := range t.mu.shards {
		*sh = shardBucket{last: now}
	}
}

// shardOf returns the index of the shard that Kinesis puts partition key
// pk in: the one whose range holds the MD5 of pk as a 128-bit unsigned
// integer.
func shardOf(ranges []hashRange, pk string) int {
	sum := md5.Sum([]byte(pk))
	h := new(big.Int).SetBytes(sum[:])
	for i, r := range ranges {
		if h.Cmp(r.start) >= 0 && h.Cmp(r.end) <= 0 {
			return i
		}
	}
	panic("throttle: hash key ranges do not cover " + h.String())
}

// admitLocked takes a record of key pk and size bytes from shard i's
// buckets, or reports that they are short.
func (t *throttle) admitLocked(i int, pk string, size int, now time.Time) bool {
	sh := t.mu.shards[i]
	sh.refill(now)
	if sh.records < 1 || sh.bytes < float64(size) {
		t.mu.throttled++
		t.mu.refusals[pk]++
		return false
	}
	t.mu.tries[min(t.mu.refusals[pk], maxTries)]++
	delete(t.mu.refusals, pk)
	sh.records--
	sh.bytes -= float64(size)
	sh.accepted++
	sh.acceptedBytes += int64(size)
	sec := int(now.Sub(t.mu.start) / time.Second)
	for len(sh.perSecond) <= sec {
		sh.perSecond = append(sh.perSecond, acceptedSecond{})
	}
	sh.perSecond[sec].records++
	sh.perSecond[sec].bytes += int64(size)
	return true
}

// refill adds the tokens earned since the last refill, up to one second's
// worth.
func (sh *shardBucket) refill(now time.Time) {
	dt := now.Sub(sh.last).Seconds()
	sh.last = now
	records := sh.records + dt*shardRecordsPerSecond
	bytes := sh.bytes + dt*shardBytesPerSecond
	sh.wastedRecords += max(records-shardRecordsPerSecond, 0)
	sh.wastedBytes += max(bytes-shardBytesPerSecond, 0)
	sh.records = min(records, shardRecordsPerSecond)
	sh.bytes = min(bytes, shardBytesPerSecond)
}

// putEntry is the part of a PutRecords record the throttle reads.
type putEntry struct {
	Data         []byte `json:"Data"`
	PartitionKey string `json:"PartitionKey"`
}

func (t *throttle) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") == listShardsTarget {
		return t.listShards(req)
	}
	if req.Header.Get("X-Amz-Target") != putRecordsTarget {
		return t.next.RoundTrip(req)
	}
	in, err := readPut(req, "throttle")
	if err != nil {
		return nil, err
	}
	if in.StreamName != t.stream {
		return nil, fmt.Errorf("throttle: PutRecords to %s, want %s", in.StreamName, t.stream)
	}
	shards, admitted := make([]int, len(in.Records)), make([]bool, len(in.Records))
	keys := make([]string, len(in.Records))
	t.mu.Lock()
	now := time.Now()
	for i, raw := range in.Records {
		var e putEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("throttle: decoding record %d: %w", i, err)
		}
		keys[i] = e.PartitionKey
		shards[i] = shardOf(t.ranges, e.PartitionKey)
		admitted[i] = t.admitLocked(shards[i], e.PartitionKey, len(e.Data)+len(e.PartitionKey), now)
	}
	t.mu.Unlock()

	sent := time.Now()
	forwarded, resp, err := forwardPut(t.next, req, in, admitted, "throttle")
	took := time.Since(sent)
	if slices.Contains(admitted, true) {
		t.mu.Lock()
		t.mu.forwarded++
		t.mu.forwardTime += took
		t.mu.worst = max(t.mu.worst, took)
		t.mu.Unlock()
	}
	if resp != nil || err != nil {
		return resp, err
	}
	out := putResponse{Records: make([]putResult, len(in.Records)), EncryptionType: forwarded.EncryptionType}
	misplaced, j := 0, 0
	for i := range in.Records {
		if !admitted[i] {
			out.Records[i] = putResult{ErrorCode: "ProvisionedThroughputExceededException",
				ErrorMessage: "Rate exceeded for shard " + t.ranges[shards[i]].id + " in stream " + in.StreamName}
			out.FailedRecordCount++
			continue
		}
		r := forwarded.Records[j]
		j++
		out.Records[i] = r
		if r.ErrorCode != "" {
			out.FailedRecordCount++
		} else if r.ShardId != t.stored[shardOf(t.stored, keys[i])].id {
			misplaced++
		}
	}
	if misplaced > 0 {
		t.mu.Lock()
		t.mu.misplaced += misplaced
		t.mu.Unlock()
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return jsonResponse(req, http.StatusOK, data), nil
}

const listShardsTarget = "Kinesis_20131202.ListShards"

// listShards forwards a ListShards call, for the layout stream's shards
// when it asks for stream's.
func (t *throttle) listShards(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("throttle: decoding ListShards: %w", err)
	}
	if in["StreamName"] == t.stream {
		in["StreamName"] = t.layout
	}
	if body, err = json.Marshal(in); err != nil {
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.Body, r2.ContentLength, r2.GetBody = io.NopCloser(bytes.NewReader(body)), int64(len(body)), nil
	return t.next.RoundTrip(r2)
}

// throttleStats is what a throttle let through since reset.
type throttleStats struct {
	shards               []shardBucket // copies, for their counters
	throttled, misplaced int
	// forwardMean and forwardWorst are the emulator's answer times.
	forwardMean, forwardWorst time.Duration
	tries                     [maxTries + 1]int
}

// stats returns what t let through from reset until end, the buckets
// refilled up to end.
func (t *throttle) stats(end time.Time) throttleStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := throttleStats{throttled: t.mu.throttled, misplaced: t.mu.misplaced, forwardWorst: t.mu.worst,
		tries: t.mu.tries}
	if t.mu.forwarded > 0 {
		st.forwardMean = t.mu.forwardTime / time.Duration(t.mu.forwarded)
	}
	for _, sh := range t.mu.shards {
		sh.refill(end)
		c := *sh
		c.perSecond = append([]acceptedSecond(nil), sh.perSecond...)
		st.shards = append(st.shards, c)
	}
	return st
}
