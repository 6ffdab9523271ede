package testenv

import (
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"
)

func TestKinesisRoundTrip(t *testing.T) {
	started := time.Now()
	k := StartKinesisT(t)
	t.Logf("emulator ready in %s on %s", time.Since(started).Round(time.Millisecond), k.Endpoint)
	ctx := t.Context()
	found, ok := FindKinesis(k.PID, k.Dir)
	require.True(t, ok)
	require.Equal(t, k.Endpoint, found.Endpoint)
	_, ok = FindKinesis(k.PID, t.TempDir())
	require.False(t, ok, "an emulator of another directory is not ours")

	require.NoError(t, k.CreateStream(ctx, "s", 2))
	c := k.Client()
	entries := make([]types.PutRecordsRequestEntry, 10)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{
			PartitionKey: aws.String("key-" + strconv.Itoa(i)),
			Data:         []byte(fmt.Sprintf("record %d", i)),
		}
	}
	put, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries})
	require.NoError(t, err)
	require.Zero(t, aws.ToInt32(put.FailedRecordCount))

	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s")})
	require.NoError(t, err)
	require.Len(t, shards.Shards, 2)
	got := map[string]string{} // data -> shard
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("s"), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		require.NoError(t, err)
		// Read until an empty page: the emulator returns all it has at once.
		for iter := it.ShardIterator; iter != nil; {
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			require.NoError(t, err)
			if len(out.Records) == 0 {
				break
			}
			for _, r := range out.Records {
				got[string(r.Data)] = aws.ToString(sh.ShardId)
			}
			iter = out.NextShardIterator
		}
	}
	require.Len(t, got, len(entries))
	perShard := map[string]int{}
	for i := range entries {
		shard, ok := got[fmt.Sprintf("record %d", i)]
		require.True(t, ok, "record %d", i)
		perShard[shard]++
	}
	require.Len(t, perShard, 2, "ten partition keys land on both shards")

	pid := k.PID
	require.NoError(t, k.Stop())
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH)
	_, ok = FindKinesis(pid, k.Dir)
	require.False(t, ok)
}

func TestStartKinesisNeedsDir(t *testing.T) {
	_, err := StartKinesis(t.Context(), KinesisOptions{})
	require.ErrorContains(t, err, "Dir is required")
}
