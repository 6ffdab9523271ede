package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDriversAndVolatile(t *testing.T) {
	set, err := Parse("m.yaml", []byte(`
target: g.members
key: [id]
sources:
  - source: a
    table: s.users
    driving: true
    owns: "id < 100"
    columns: {id: id, name: name, seen: meta.commit_time}
  - source: b
    table: s.users
    driving: true
    owns: "id >= 100"
    delete: soft
    soft_delete: {column: gone_at}
    columns: {id: "id + 100", name: name, tx: "meta.gtid + '!'"}
  - source: a
    table: s.profiles
    join: {user_id: id}
    columns: {bio: bio}
---
target: g.copy
key: [k1, k2]
sources:
  - source: a
    table: s.copy
    all_columns: true
    delete: ignore
`), []string{"a", "b"})
	require.NoError(t, err)
	require.Equal(t, []Driver{
		{Source: "a", Schema: "s", Table: "users", KeyColumns: []string{"id"}, Delete: "delete"},
		{Source: "b", Schema: "s", Table: "users", Delete: "soft", SoftColumn: "gone_at"},
	}, exported(set.Drivers("g.members")))
	require.Equal(t, []string{"seen", "tx"}, set.Volatile("g.members"))
	require.Equal(t, []Driver{{Source: "a", Schema: "s", Table: "copy", KeyColumns: []string{"k1", "k2"}, Delete: "ignore"}},
		exported(set.Drivers("g.copy")))
	require.Nil(t, set.Drivers("g.nothing"))

	// The target columns that hold verbatim copies of source columns.
	a, b := set.Drivers("g.members")[0], set.Drivers("g.members")[1]
	cp := set.Drivers("g.copy")[0]
	for _, tc := range []struct {
		d        Driver
		col, tgt string
		ok       bool
	}{
		{a, "id", "id", true},
		{a, "ID", "id", true},
		{a, "name", "name", true},
		{a, "seen", "", false},
		{b, "id", "", false}, // computed: id + 100
		{b, "name", "name", true},
		{cp, "anything", "anything", true},
	} {
		got, ok := tc.d.TargetColumn(tc.col)
		require.Equal(t, tc.ok, ok, tc.col)
		require.Equal(t, tc.tgt, got, tc.col)
	}
}

// exported keeps the exported fields of drivers, which the test compares.
func exported(ds []Driver) []Driver {
	out := make([]Driver, len(ds))
	for i, d := range ds {
		out[i] = Driver{Source: d.Source, Schema: d.Schema, Table: d.Table, KeyColumns: d.KeyColumns, Delete: d.Delete, SoftColumn: d.SoftColumn}
	}
	return out
}
