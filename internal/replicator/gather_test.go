package replicator

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// A run of transactions that re-derive rows is expanded in groups, not one
// by one, and every part still reaches the sinks once, in order, with its
// own expanded operations; parts that re-derive nothing are not held.
func TestRederivingTransactionsAreExpandedTogether(t *testing.T) {
	const n = 300
	target := &change.TargetTable{Schema: "tgt", Name: "t", Key: []string{"id"}}
	var parts []*change.Txn
	for i := range n {
		parts = append(parts, &change.Txn{Source: "a", Seq: uint64(i + 1), Last: true, End: pos(uint32(100 + i)),
			Changes: []change.RowChange{{}}})
	}
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	var mu sync.Mutex
	var groups []int
	sink := &flakySink{}
	r := &scriptedReader{parts: parts, sent: make(chan struct{})}
	p := &Pipeline{
		Readers: map[string]Reader{"a": r}, Start: map[string]change.Position{"a": pos(4)},
		TableSinks: []Sink{sink}, Store: store, Interval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Every part but the first re-derives the row of its own number.
		Map: func(_ context.Context, txn *change.Txn) error {
			if txn.Seq > 1 {
				txn.Ops = []change.TargetOp{{Target: target, Kind: change.Rederive, Change: int(txn.Seq)}}
			}
			return nil
		},
		Expand: func(_ context.Context, txns []*change.Txn) error {
			mu.Lock()
			groups = append(groups, len(txns))
			mu.Unlock()
			for _, txn := range txns {
				for i, op := range txn.Ops {
					if op.Kind == change.Rederive {
						txn.Ops[i] = change.TargetOp{Target: target, Kind: change.UpdateRow, Key: []change.Value{int64(op.Change)}}
					}
				}
			}
			return nil
		},
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-r.sent
	require.Eventually(t, func() bool {
		got, err := store.Position("a")
		return err == nil && got == pos(100+n-1)
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Len(t, sink.applied, n)
	for i, txn := range sink.applied {
		require.Equal(t, uint64(i+1), txn.Seq, "parts reach the sink in order")
		if i == 0 {
			require.Empty(t, txn.Ops)
			continue
		}
		require.Equal(t, []change.TargetOp{{Target: target, Kind: change.UpdateRow, Key: []change.Value{int64(i + 1)}}}, txn.Ops)
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, g := range groups {
		require.LessOrEqual(t, g, gatherParts)
		total += g
	}
	require.Equal(t, n-1, total, "every re-deriving part expanded once")
	require.Less(t, len(groups), (n-1)/4, "re-derivations expanded in groups: %v", groups)
}
