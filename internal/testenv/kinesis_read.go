package testenv

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// StreamRecord is one record read back from a stream.
type StreamRecord struct {
	Shard          string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	// Arrival is when the stream accepted the record.
	Arrival time.Time
}

// ReadStream reads every shard of stream from its start up to the first
// empty read, and returns the records shard by shard (shards in id order),
// each shard's in sequence order. It suits a stream nobody writes to
// while it reads.
func (k *Kinesis) ReadStream(ctx context.Context, stream string) ([]StreamRecord, error) {
	c := k.Client()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		return nil, fmt.Errorf("listing the shards of %s: %w", stream, err)
	}
	ids := make([]string, 0, len(shards.Shards))
	for _, sh := range shards.Shards {
		ids = append(ids, aws.ToString(sh.ShardId))
	}
	sort.Strings(ids)
	var out []StreamRecord
	for _, id := range ids {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(stream), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, fmt.Errorf("reading shard %s of %s: %w", id, stream, err)
		}
		for iter := it.ShardIterator; iter != nil; {
			res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				return nil, fmt.Errorf("reading shard %s of %s: %w", id, stream, err)
			}
			if len(res.Records) == 0 {
				break
			}
			for _, r := range res.Records {
				out = append(out, StreamRecord{Shard: id, SequenceNumber: aws.ToString(r.SequenceNumber),
					PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data, Arrival: aws.ToTime(r.ApproximateArrivalTimestamp)})
			}
			iter = res.NextShardIterator
		}
	}
	return out, nil
}
