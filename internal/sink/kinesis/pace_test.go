package kinesis

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseHashKey(t *testing.T) {
	max128 := "340282366920938463463374607431768211455"
	for _, tt := range []struct {
		in   string
		want hashKey128
		ok   bool
	}{
		{"0", hashKey128{0, 0}, true},
		{"170141183460469231731687303715884105728", hashKey128{1 << 63, 0}, true},
		{"18446744073709551616", hashKey128{1, 0}, true},
		{max128, hashKey128{math.MaxUint64, math.MaxUint64}, true},
		{"340282366920938463463374607431768211456", hashKey128{}, false},
		{"-1", hashKey128{}, false},
		{"x", hashKey128{}, false},
	} {
		got, ok := parseHashKey(tt.in)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestBucket(t *testing.T) {
	now := time.Unix(100, 0)
	var b bucket
	for i := range ShardRecordsPerSecond {
		ok, _ := b.take(10, now)
		require.True(t, ok, "record %d of the first second", i)
	}
	ok, at := b.take(10, now)
	require.False(t, ok, "a second's records are spent")
	require.Equal(t, now.Add(time.Millisecond), at)
	ok, _ = b.take(10, at)
	require.True(t, ok, "a millisecond later there is room for one")

	b = bucket{}
	ok, _ = b.take(ShardBytesPerSecond-100, now)
	require.True(t, ok)
	ok, at = b.take(1000, now)
	require.False(t, ok, "the bytes are spent")
	require.InDelta(t, float64(900*time.Second/ShardBytesPerSecond), float64(at.Sub(now)), float64(time.Microsecond))
	ok, _ = b.take(MaxRecordBytes+256, now.Add(2*time.Second))
	require.True(t, ok, "a record of the largest size fits a full bucket")
}

// The sink finds the shard of a key as Kinesis does: the emulator stores
// every record in the shard shardOf names.
func TestShardOfMatchesKinesis(t *testing.T) {
	e := startEmulator(t)
	stream := e.streamOf(t, "routing", 5)
	m, err := listShards(t.Context(), e.client, stream)
	require.NoError(t, err)
	require.Len(t, m.starts, 5)
	s := e.open(t, Options{Stream: stream, PartitionKey: PartitionKeyExpression + "string(id)"}, nil)
	txns, _ := workload(7, 200, 200)
	applyAll(t, s, txns)
	flush(t, s)
	shardIDs := map[string]int{}
	recs := e.readAll(t, stream, 1)
	require.NotEmpty(t, recs)
	for _, r := range recs {
		if _, ok := shardIDs[r.shard]; !ok {
			shardIDs[r.shard] = len(shardIDs)
		}
	}
	require.Len(t, shardIDs, 5, "keys spread over every shard")
	// Shard ids sort as the hash key ranges do on the emulator.
	for _, r := range recs {
		id, err := strconv.Atoi(r.shard[len(r.shard)-1:])
		require.NoError(t, err)
		require.Equal(t, id, m.shardOf(r.pk), "key %s", r.pk)
	}
}
