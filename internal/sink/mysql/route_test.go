package mysql

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestOneTransactionSpreadsOverWorkers routes the rows of one large
// insert, consecutive integer keys of one table, over four workers: each
// gets a fair share, in runs of 256 neighbours, so a bulk load is applied
// by every connection at once.
func TestOneTransactionSpreadsOverWorkers(t *testing.T) {
	const rows, workers = 100_000, 4
	s := &Sink{lanes: []*lane{{n: workers}}, keys: newKeyCache(nil, nil, nil)}
	bulk := table("bulk", "id")
	s.keys.mu.tables[tableKey{"tgt", "bulk"}] = keyInfo{primary: true}
	counts := make([]int, workers)
	runs := 0
	last := -1
	for id := range rows {
		w, err := s.route(context.Background(), &change.TargetOp{Target: bulk, Key: []change.Value{int64(id)}})
		require.NoError(t, err)
		counts[w]++
		if w != last {
			runs++
			last = w
		}
	}
	for w, n := range counts {
		require.InDelta(t, rows/workers, n, rows/workers/4, "worker %d", w)
	}
	require.LessOrEqual(t, runs, rows/256+1, "neighbouring keys share a worker")
}

// Routing an operation by an integer key of any size allocates nothing:
// it runs for every operation.
func TestRowHashAllocatesNothing(t *testing.T) {
	op := &change.TargetOp{Target: &change.TargetTable{Schema: "s", Name: "t"}, Key: []change.Value{int64(1234567), uint64(1 << 40)}}
	require.Zero(t, testing.AllocsPerRun(100, func() { rowHash(op, true, routeBlock) }))
}
