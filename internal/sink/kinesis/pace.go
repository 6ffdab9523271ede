package kinesis

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Pacing.
//
// Kinesis takes at most ShardRecordsPerSecond records and
// ShardBytesPerSecond bytes (data and partition key) per second into each
// shard and refuses the rest of a call's records. Retrying refused records
// with backoff alone wastes the limit: every key of a shard retries at once,
// most are refused again, and the ones refused most wait longest while the
// shard sits idle. So, as the Kinesis Producer Library does, the sink reads
// each stream's shard map once (ListShards), finds the shard of every
// partition key from the MD5 of the key, and takes into a call only
// records whose shard has room by a token bucket per shard refilling at
// those rates. A shard that has no room for its oldest ready record takes
// nothing more in that call, so a large aggregated record is not starved
// by small ones. Throttling that still happens (other writers, a map made
// stale by resharding) is retried with backoff as before.
//
// The map is read again every minute, so pacing follows resharding and
// on-demand scaling. Without the ListShards permission, or with a client
// that cannot list shards, a stream is not paced.

// Kinesis's write limits per shard.
const (
	ShardRecordsPerSecond = 1000
	ShardBytesPerSecond   = 1 << 20
)

// ShardLister is what the sink needs to pace a stream; *kinesis.Client
// implements it.
type ShardLister interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
}

var _ ShardLister = (*kinesis.Client)(nil)

// hashKey128 is a 128-bit hash key as two halves, comparable in order.
type hashKey128 [2]uint64

func (a hashKey128) less(b hashKey128) bool {
	return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
}

// shardMap is the open shards of a stream, by the start of their hash key
// ranges, with a bucket each.
type shardMap struct {
	starts  []hashKey128 // ascending
	buckets []bucket
}

// bucket holds a shard's unused allowance, at most one second's worth.
type bucket struct {
	records, bytes float64
	last           time.Time
}

// shardOfKey returns the index of the shard that holds q's records: by
// their explicit hash key when they carry one, else by the partition key.
func (m *shardMap) shardOfKey(q *keyQueue) int {
	if q.hashKey != "" {
		if h, ok := parseHashKey(q.hashKey); ok {
			return m.shardOfHash(h)
		}
	}
	return m.shardOf(q.pk)
}

// shardOf returns the index of the shard that holds pk.
func (m *shardMap) shardOf(pk string) int {
	sum := md5.Sum([]byte(pk))
	return m.shardOfHash(hashKey128{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])})
}

// shardOfHash returns the index of the shard whose range holds h.
func (m *shardMap) shardOfHash(h hashKey128) int {
	// The last shard whose range starts at or below h.
	i, _ := slices.BinarySearchFunc(m.starts, h, func(s, h hashKey128) int {
		if h.less(s) {
			return 1
		}
		return -1
	})
	return max(i-1, 0)
}

// refill adds the allowance accrued since the bucket's last use.
func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.records, b.bytes, b.last = ShardRecordsPerSecond, ShardBytesPerSecond, now
		return
	}
	dt := now.Sub(b.last).Seconds()
	if dt <= 0 {
		return
	}
	b.records = min(ShardRecordsPerSecond, b.records+dt*ShardRecordsPerSecond)
	b.bytes = min(ShardBytesPerSecond, b.bytes+dt*ShardBytesPerSecond)
	b.last = now
}

// take spends one record of size bytes if the bucket has room, else
// returns when it will have.
func (b *bucket) take(size int, now time.Time) (ok bool, at time.Time) {
	b.refill(now)
	need := float64(min(size, ShardBytesPerSecond))
	if b.records >= 1 && b.bytes >= need {
		b.records--
		b.bytes -= float64(size)
		return true, time.Time{}
	}
	wait := max((1-b.records)/ShardRecordsPerSecond, (need-b.bytes)/ShardBytesPerSecond)
	return false, now.Add(time.Duration(wait * float64(time.Second)))
}

// listShards reads the open shards of stream.
func listShards(ctx context.Context, api ShardLister, stream string) (*shardMap, error) {
	var starts []hashKey128
	in := &kinesis.ListShardsInput{StreamName: &stream}
	for {
		out, err := api.ListShards(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, sh := range out.Shards {
			if sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil {
				continue // closed by resharding: takes no records
			}
			if sh.HashKeyRange == nil || sh.HashKeyRange.StartingHashKey == nil {
				return nil, fmt.Errorf("shard %v without a hash key range", sh.ShardId)
			}
			start, ok := parseHashKey(*sh.HashKeyRange.StartingHashKey)
			if !ok {
				return nil, fmt.Errorf("shard %v: hash key %q is not a 128-bit number", sh.ShardId, *sh.HashKeyRange.StartingHashKey)
			}
			starts = append(starts, start)
		}
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	if len(starts) == 0 {
		return nil, fmt.Errorf("stream %s has no open shard", stream)
	}
	slices.SortFunc(starts, func(a, b hashKey128) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	return &shardMap{starts: starts, buckets: make([]bucket, len(starts))}, nil
}

// parseHashKey reads a decimal hash key.
func parseHashKey(s string) (hashKey128, bool) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 || n.BitLen() > 128 {
		return hashKey128{}, false
	}
	var b [16]byte
	n.FillBytes(b[:])
	return hashKey128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}, true
}

// shardMapRefresh is how often a stream's shard map is read again, so
// pacing follows resharding (and on-demand streams' scaling).
const shardMapRefresh = time.Minute

// loadShards reads the shard map of st in the background, and again every
// shardMapRefresh, and paces st by it. Until a read succeeds st is not
// paced; a failure is logged once, and a later map replaces a stale one.
func (s *Sink) loadShards(ctx context.Context, st *streamQueue) {
	defer s.wg.Done()
	lister, ok := s.api.(ShardLister)
	if !ok {
		return
	}
	logged := false
	for {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := listShards(lctx, lister, st.name)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !logged:
			s.log.Info("not pacing the stream by its shards' limits: cannot list its shards", "stream", st.name, "err", err)
			logged = true
		case err == nil:
			s.mu.Lock()
			old := st.shards
			changed := old == nil || !slices.Equal(old.starts, m.starts)
			if changed {
				st.shards = m // an unchanged map keeps its buckets
			}
			s.mu.Unlock()
			if changed {
				s.log.Info("pacing the stream by its shards' limits", "stream", st.name, "shards", len(m.starts))
				s.signal()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(shardMapRefresh):
		}
	}
}
