package kinesis

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// fakeAPI stores records in memory and fails records and calls at random.
// The emulator tests cover the real protocol; this one is fast enough for
// -race and many seeds.
type fakeAPI struct {
	mu        sync.Mutex
	rng       *rand.Rand
	failShare float64 // of records
	callShare float64 // of calls, with a throttling error
	// refuse, when set, fails a whole call with its error.
	refuse func(in *kinesis.PutRecordsInput) error
	// gate, when set, holds every call until it is closed.
	gate   chan struct{}
	stored map[string][][]byte // by partition key, in order
	calls  int
}

func newFake(seed uint64) *fakeAPI {
	return &fakeAPI{rng: rand.New(rand.NewPCG(seed, 3)), stored: map[string][][]byte{}}
}

func (f *fakeAPI) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.refuse != nil {
		if err := f.refuse(in); err != nil {
			return nil, err
		}
	}
	if f.rng.Float64() < f.callShare {
		return nil, &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "Rate exceeded"}
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i, r := range in.Records {
		if f.rng.Float64() < f.failShare {
			out.Records[i].ErrorCode = aws.String("InternalFailure")
			continue
		}
		pk := aws.ToString(r.PartitionKey)
		f.stored[pk] = append(f.stored[pk], bytes.Clone(r.Data))
		out.Records[i].SequenceNumber = aws.String("1")
	}
	return out, nil
}

// lines returns every stored record split into lines, by partition key.
func (f *fakeAPI) lines() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for pk, recs := range f.stored {
		for _, r := range recs {
			out[pk] = append(out[pk], strings.Split(string(r), "\n")...)
		}
	}
	return out
}

// fakeSink opens a sink on api, closed when the test ends.
func fakeSink(t *testing.T, api PutRecordsAPI, opts Options) *Sink {
	t.Helper()
	opts.Client = api
	if opts.Stream == "" && len(opts.Routes) == 0 {
		opts.Stream = "s"
	}
	s, err := New(t.Context(), opts)
	require.NoError(t, err)
	return running(t, s)
}

func TestFakeOrderUnderFaults(t *testing.T) {
	for seed := range uint64(4) {
		aggregate := seed%2 == 1
		f := newFake(seed)
		f.failShare, f.callShare = 0.3, 0.1
		opts := Options{FlushInterval: time.Millisecond, maxBackoff: 5 * time.Millisecond, Aggregate: aggregate}
		if aggregate {
			opts.PartitionKey = PartitionKeyConstant + "all"
		}
		s := fakeSink(t, f, opts)
		txns, want := workload(seed, 2000, 100)
		for _, txn := range txns {
			require.NoError(t, s.Apply(t.Context(), txn))
			if aggregate {
				flush(t, s) // or all the changes fit one record
			}
		}
		flush(t, s)
		var recs []shardRecord
		for pk, lines := range f.lines() {
			for _, l := range lines {
				recs = append(recs, shardRecord{shard: pk, data: []byte(l)})
			}
		}
		checkDelivery(t, recs, want)
		require.Positive(t, s.Retried(), "seed %d: %d calls", seed, f.calls)
		require.Equal(t, uint64(len(want)), s.Sent())
		var throttled uint64
		for stream, n := range s.Throttled() {
			require.NotEmpty(t, stream)
			throttled += n
		}
		require.Positive(t, throttled, "seed %d: the calls refused for throughput are counted by stream", seed)
		require.Less(t, throttled, s.Retried(), "seed %d: InternalFailure is retried but is no throttle", seed)
	}
}

func TestFlushCancelledWhileUnacknowledged(t *testing.T) {
	f := newFake(1)
	f.failShare = 1
	s := fakeSink(t, f, Options{maxBackoff: 10 * time.Millisecond})
	txns, _ := workload(1, 20, 5)
	applyAll(t, s, txns)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := s.Flush(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "flushing kinesis sink with 20 records unacknowledged")
	f.mu.Lock()
	f.failShare = 0
	f.mu.Unlock()
	flush(t, s)
}

func TestApplyBlocksOverBufferLimit(t *testing.T) {
	f := newFake(1)
	f.gate = make(chan struct{})
	s := fakeSink(t, f, Options{MaxBufferedBytes: MaxRecordBytes})
	big := strings.Repeat("x", 300<<10)
	txn := func(id int64) *change.Txn {
		return &change.Txn{Source: "src", Seq: uint64(id), Last: true, Changes: []change.RowChange{
			{Table: items, Op: change.Insert, After: change.Row{id, big, id}}}}
	}
	for id := range int64(4) { // 4 × 300 KiB: the fourth exceeds 1 MiB
		require.NoError(t, s.Apply(t.Context(), txn(id)))
	}
	applied := make(chan error, 1)
	go func() { applied <- s.Apply(t.Context(), txn(4)) }()
	select {
	case err := <-applied:
		t.Fatalf("Apply returned with over 1 MiB unacknowledged: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(f.gate)
	require.NoError(t, <-applied)
	flush(t, s)
	require.Equal(t, uint64(5), s.Sent())
}

func TestApplyAfterClose(t *testing.T) {
	s := fakeSink(t, newFake(1), Options{})
	require.NoError(t, s.Close())
	txns, _ := workload(1, 1, 1)
	require.ErrorIs(t, s.Apply(t.Context(), txns[0]), ErrClosed)
	require.ErrorIs(t, s.Flush(t.Context()), ErrClosed)
}

// memFailed is a FailedStore in memory.
type memFailed struct {
	mu  sync.Mutex
	fcs []change.FailedChange
}

func (m *memFailed) RecordFailed(fc change.FailedChange) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fcs = append(m.fcs, fc)
	return uint64(len(m.fcs)), nil
}

func TestRecordRefusedAsTooLarge(t *testing.T) {
	// Kinesis refuses the whole call when one record is too large; the sink
	// sends the records one by one to find it and records it as failed.
	f := newFake(1)
	f.refuse = func(in *kinesis.PutRecordsInput) error {
		for _, r := range in.Records {
			if bytes.Contains(r.Data, []byte("TOO-BIG")) {
				return &smithy.GenericAPIError{Code: "ValidationException",
					Message: "1 validation error detected: Value at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048576"}
			}
		}
		return nil
	}
	store := &memFailed{}
	s := fakeSink(t, f, Options{Failed: store})
	txn := &change.Txn{Source: "src", Seq: 1, Last: true, GTID: "0-1-1", End: change.Position{File: "f", Pos: 9}}
	for id := range int64(10) {
		v := "small"
		if id == 4 {
			v = "TOO-BIG"
		}
		txn.Changes = append(txn.Changes, change.RowChange{Table: items, Op: change.Insert, After: change.Row{id, v, id}})
	}
	require.NoError(t, s.Apply(t.Context(), txn))
	flush(t, s)
	require.Equal(t, uint64(9), s.Sent())
	require.Equal(t, uint64(1), s.Failed())
	require.Len(t, store.fcs, 1)
	fc := store.fcs[0]
	require.Equal(t, []change.Value{int64(4)}, fc.Key)
	require.Equal(t, "kinesis:s", fc.Target)
	require.Equal(t, change.Position{File: "f", Pos: 9}, fc.Position)
	require.Contains(t, fc.Error, "refused by Kinesis as too large (ValidationException)")
	require.Len(t, f.lines(), 9)
}

func TestValidationErrorStopsWithoutValues(t *testing.T) {
	f := newFake(1)
	f.refuse = func(*kinesis.PutRecordsInput) error {
		return &smithy.GenericAPIError{Code: "ValidationException", Message: "Value 'secret-key' at 'records.1.member.partitionKey'"}
	}
	s := fakeSink(t, f, Options{Stream: "orders"})
	txns, _ := workload(1, 5, 5)
	applyAll(t, s, txns)
	err := s.Flush(t.Context())
	require.EqualError(t, err, "putting records to kinesis stream orders: ValidationException")
	var se *StreamError
	require.ErrorAs(t, err, &se)
}

func TestOversizeWithoutFailedStoreStops(t *testing.T) {
	s := fakeSink(t, newFake(1), Options{})
	err := s.Apply(t.Context(), photoTxn(2<<20))
	require.ErrorContains(t, err, "sending change of shop.photos from src to kinesis stream s: record of ")
	require.ErrorContains(t, err, "(no failed store to record it in)")
	require.Equal(t, err, s.Flush(t.Context()))
}

func TestUnroutedTablesAreNotSent(t *testing.T) {
	f := newFake(1)
	s := fakeSink(t, f, Options{Routes: []Route{{Tables: "shop.photos", Stream: "photos"}}})
	txns, _ := workload(1, 5, 5)
	applyAll(t, s, txns)
	require.NoError(t, s.Apply(t.Context(), photoTxn(10)))
	flush(t, s)
	require.Equal(t, uint64(3), s.Sent(), "the photos only")
}

func TestPermanentCodes(t *testing.T) {
	tests := []struct {
		code, msg string
		want      callFault
	}{
		{"ProvisionedThroughputExceededException", "", faultRetry},
		{"LimitExceededException", "", faultRetry},
		{"InternalFailure", "", faultRetry},
		{"KMSThrottlingException", "", faultRetry},
		{"ResourceNotFoundException", "Stream x not found", faultPermanent},
		{"AccessDeniedException", "", faultPermanent},
		{"ValidationException", "Member must have length less than or equal to 1048576", faultTooLarge},
		{"InvalidArgumentException", "Records size exceeds 5 MB limit", faultTooLarge},
		{"InvalidArgumentException", "Partition key must be between 1 and 256 in length", faultPermanent},
	}
	for _, tt := range tests {
		got, code, _ := classify(&smithy.OperationError{ServiceID: "Kinesis", OperationName: "PutRecords",
			Err: &smithy.GenericAPIError{Code: tt.code, Message: tt.msg}})
		require.Equal(t, tt.want, got, tt.code)
		require.Equal(t, tt.code, code)
	}
	got, _, _ := classify(errors.New("dial tcp: connection refused"))
	require.Equal(t, faultRetry, got)
}

func TestBackoffBounds(t *testing.T) {
	for _, tt := range []struct {
		name     string
		opts     Options
		min, max time.Duration // ceilings of the first and of late attempts
	}{
		{"default", Options{}, minBackoff, maxBackoff},
		{"test cap", Options{maxBackoff: time.Second}, minBackoff, time.Second},
		{"test cap below the start", Options{maxBackoff: 5 * time.Millisecond}, 5 * time.Millisecond, 5 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Sink{opts: tt.opts}
			for attempt := 1; attempt < 70; attempt++ {
				d := s.backoff(attempt)
				require.Greater(t, d, time.Duration(0))
				require.LessOrEqual(t, d, tt.max)
			}
			for range 20 {
				require.LessOrEqual(t, s.backoff(1), tt.min)
			}
		})
	}
}
