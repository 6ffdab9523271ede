package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestApplied(t *testing.T) {
	m := New()
	users := &change.Table{Schema: "accounts", Name: "users"}
	part := &change.Txn{Source: "a", Changes: []change.RowChange{{Table: users, Op: change.Insert}, {Table: users, Op: change.Update}}}
	last := &change.Txn{Source: "a", Last: true, CommitTime: time.Now().Add(-2 * time.Second),
		Changes: []change.RowChange{{Table: users, Op: change.Insert}}}
	m.Applied(part)
	m.Applied(last)
	require.Equal(t, 2.0, testutil.ToFloat64(m.Changes.WithLabelValues("a", "accounts.users", "insert")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.Changes.WithLabelValues("a", "accounts.users", "update")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.Transactions.WithLabelValues("a")), "only the last part ends a transaction")
	require.InDelta(t, 2.0, testutil.ToFloat64(m.CommitLag.WithLabelValues("a")), 1.0)
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	require.NotEmpty(t, families)
}
