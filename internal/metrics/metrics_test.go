package metrics

import (
	"strings"
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
	members := &change.TargetTable{Schema: "global", Name: "members"}
	m.Applied(&change.Txn{Source: "a", Ops: []change.TargetOp{
		{Target: members, Kind: change.Upsert}, {Target: members, Kind: change.Upsert}, {Target: members, Kind: change.DeleteRow}}})
	require.Equal(t, 2.0, testutil.ToFloat64(m.TargetOps.WithLabelValues("global.members", change.Upsert.String())))
	require.Equal(t, 1.0, testutil.ToFloat64(m.TargetOps.WithLabelValues("global.members", change.DeleteRow.String())))
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	require.NotEmpty(t, families)
}

func TestRead(t *testing.T) {
	m := New()
	users := &change.Table{Schema: "accounts", Name: "users"}
	profiles := &change.Table{Schema: "accounts", Name: "user_profiles"}
	m.Read(&change.Txn{Source: "a", Changes: []change.RowChange{
		{Table: users, Op: change.Insert}, {Table: users, Op: change.Update}, {Table: profiles, Op: change.Delete}, {Table: users, Op: change.Delete}}})
	require.Equal(t, 3.0, testutil.ToFloat64(m.ChangesRead.WithLabelValues("a", "accounts.users")), "every operation counts")
	require.Equal(t, 1.0, testutil.ToFloat64(m.ChangesRead.WithLabelValues("a", "accounts.user_profiles")))
	require.Zero(t, testutil.ToFloat64(m.Changes.WithLabelValues("a", "accounts.users", "insert")), "read is not applied")
}

func TestLagIsReadAtEachScrape(t *testing.T) {
	m := New()
	lag := 0.0
	m.RegisterLag(func() map[string]float64 { return map[string]float64{"a": lag} })
	want := func(v string) string {
		return "# HELP tributary_apply_lag_seconds " + helpOf(t, m) + "\n# TYPE tributary_apply_lag_seconds gauge\n" +
			`tributary_apply_lag_seconds{source="a"} ` + v + "\n"
	}
	require.NoError(t, testutil.GatherAndCompare(m.Registry, strings.NewReader(want("0")), "tributary_apply_lag_seconds"))
	lag = 12.5
	require.NoError(t, testutil.GatherAndCompare(m.Registry, strings.NewReader(want("12.5")), "tributary_apply_lag_seconds"))
}

// helpOf returns the help text of the lag metric as gathered.
func helpOf(t *testing.T, m *Metrics) string {
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == "tributary_apply_lag_seconds" {
			return f.GetHelp()
		}
	}
	t.Fatal("no tributary_apply_lag_seconds")
	return ""
}

// Counters are cached by table description; a new description of the same
// table (after DDL) counts into the same series, and so does every key
// after the cache was emptied.
func TestCachedCountersKeepOneSeriesPerLabels(t *testing.T) {
	m := New()
	before := &change.Table{Schema: "accounts", Name: "users"}
	after := &change.Table{Schema: "accounts", Name: "users"}
	for range 3 {
		m.Read(&change.Txn{Source: "a", Changes: []change.RowChange{{Table: before, Op: change.Insert}}})
		m.Read(&change.Txn{Source: "a", Changes: []change.RowChange{{Table: after, Op: change.Insert}}})
	}
	require.Equal(t, 6.0, testutil.ToFloat64(m.ChangesRead.WithLabelValues("a", "accounts.users")))
	for i := range maxCached + 10 {
		m.Read(&change.Txn{Source: "a", Changes: []change.RowChange{{Table: &change.Table{Schema: "s", Name: "t"}, Op: change.Insert}}})
		if i == maxCached {
			require.LessOrEqual(t, len(m.changesRead.m), maxCached, "the cache is bounded")
		}
	}
	require.Equal(t, float64(maxCached+10), testutil.ToFloat64(m.ChangesRead.WithLabelValues("a", "s.t")))
}
