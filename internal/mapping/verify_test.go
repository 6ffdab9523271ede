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
	}, set.Drivers("g.members"))
	require.Equal(t, []string{"seen", "tx"}, set.Volatile("g.members"))
	require.Equal(t, []Driver{{Source: "a", Schema: "s", Table: "copy", KeyColumns: []string{"k1", "k2"}, Delete: "ignore"}},
		set.Drivers("g.copy"))
	require.Nil(t, set.Drivers("g.nothing"))
}
