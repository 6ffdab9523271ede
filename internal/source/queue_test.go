package source

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"
)

func sizedEvent(n int) *replication.BinlogEvent {
	return &replication.BinlogEvent{RawData: make([]byte, n), Header: &replication.EventHeader{EventSize: uint32(n)}}
}

// handleAsync calls HandleEvent in its own goroutine, as go-mysql does,
// and returns where its result arrives.
func handleAsync(q *eventQueue, ev *replication.BinlogEvent) <-chan error {
	done := make(chan error, 1)
	go func() { done <- q.HandleEvent(ev) }()
	return done
}

func TestEventQueueBoundsBytes(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := newEventQueue(ctx)
	third := queueBytes / 3
	for range 3 {
		require.NoError(t, q.HandleEvent(sizedEvent(third)))
	}
	// A fourth would pass the bound: it waits until the reader takes one.
	fourth := handleAsync(q, sizedEvent(third))
	select {
	case err := <-fourth:
		t.Fatalf("an event past the byte bound was queued (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	ev, err := q.next(ctx)
	require.NoError(t, err)
	require.Len(t, ev.RawData, third)
	require.NoError(t, <-fourth)
	for range 3 {
		_, err := q.next(ctx)
		require.NoError(t, err)
	}
	require.Zero(t, q.bytes.Load())
}

func TestEventQueueTakesLargeEventAlone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := newEventQueue(ctx)
	require.NoError(t, q.HandleEvent(sizedEvent(10)))
	large := handleAsync(q, sizedEvent(2*queueBytes))
	select {
	case <-large:
		t.Fatal("an event larger than the bound was queued beside another")
	case <-time.After(50 * time.Millisecond):
	}
	_, err := q.next(ctx)
	require.NoError(t, err)
	require.NoError(t, <-large, "an event larger than the bound must pass once the queue is empty")
	ev, err := q.next(ctx)
	require.NoError(t, err)
	require.Len(t, ev.RawData, 2*queueBytes)
}

func TestEventQueueEndsAfterItsEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := newEventQueue(ctx)
	s := replication.NewBinlogStreamer()
	for i := 1; i <= 3; i++ {
		require.NoError(t, q.HandleEvent(sizedEvent(i)))
	}
	lost := errors.New("connection lost")
	require.True(t, s.AddErrorToStreamer(lost))
	go q.follow(ctx, s)
	for i := 1; i <= 3; i++ {
		ev, err := q.next(ctx)
		require.NoError(t, err)
		require.Len(t, ev.RawData, i, "events come in the order read")
	}
	_, err := q.next(ctx)
	require.ErrorIs(t, err, lost)
}

func TestEventQueueReleasesWaitsWhenClosed(t *testing.T) {
	// A wait for room in bytes, and one for a free slot.
	for name, fill := range map[string]func(*eventQueue){
		"bytes": func(q *eventQueue) { require.NoError(t, q.HandleEvent(sizedEvent(queueBytes))) },
		"events": func(q *eventQueue) {
			for range queueEvents {
				require.NoError(t, q.HandleEvent(sizedEvent(1)))
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			q := newEventQueue(ctx)
			fill(q)
			blocked := handleAsync(q, sizedEvent(1))
			select {
			case <-blocked:
				t.Fatal("queued past the bound")
			case <-time.After(50 * time.Millisecond):
			}
			cancel()
			select {
			case err := <-blocked:
				require.ErrorIs(t, err, errQueueClosed)
			case <-time.After(5 * time.Second):
				t.Fatal("a wait for room outlived the stream")
			}
		})
	}
}

func TestEventQueueCountsCompressedTransactionsDecoded(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := newEventQueue(ctx)
	require.NoError(t, q.HandleEvent(sizedEvent(10)))
	// 1 KiB compressed, a whole queue's worth decoded: it waits for room.
	payload := sizedEvent(1024)
	payload.Event = &replication.TransactionPayloadEvent{UncompressedSize: queueBytes}
	blocked := handleAsync(q, payload)
	select {
	case <-blocked:
		t.Fatal("a compressed transaction was counted by its compressed size")
	case <-time.After(50 * time.Millisecond):
	}
	_, err := q.next(ctx)
	require.NoError(t, err)
	require.NoError(t, <-blocked)
	_, err = q.next(ctx)
	require.NoError(t, err)
	require.Zero(t, q.bytes.Load())
}
