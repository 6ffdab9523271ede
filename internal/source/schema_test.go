package source

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// A table map of a table already known, which every statement brings,
// costs no allocation.
func TestKnownTableMapAllocatesNothing(t *testing.T) {
	s := &schemaTracker{cache: map[uint64]*tableEntry{7: {schema: "shop", name: "orders", columns: 3}}}
	tm := &replication.TableMapEvent{TableID: 7, Schema: []byte("shop"), Table: []byte("orders"), ColumnCount: 3}
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, s.tableMap(t.Context(), tm, change.Position{}))
	})
	require.Zero(t, allocs)
}
