package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// spot is an expected problem: where, and a part of its message.
type spot struct {
	line, col int
	msg       string
}

func TestKeysThatCanCollide(t *testing.T) {
	const head = "target: global.members\nkey: [id]\nsources:\n"
	tests := []struct {
		name    string
		sources string
		want    []spot
	}{
		{
			name: "glob source without owns",
			sources: `  - source: "jp-accounts*"
    table: accounts.users
    columns: {id: id}
`,
			want: []spot{{4, 13, `sources[0].source: "jp-accounts*" can match several sources, whose rows with the same key would overwrite each other: put meta.source in the target key (e.g. id: "meta.source + ':' + string(id)", or a key column set to meta.source), or give each source its own driving entry with owns:`}},
		},
		{
			name: "glob table without owns",
			sources: `  - source: jp-accounts
    table: shop.orders_*
    columns: {id: id}
`,
			want: []spot{{5, 12, `sources[0].table: "shop.orders_*" can match several tables, whose rows with the same key would overwrite each other: put meta.table in the target key`}},
		},
		{
			name: "glob schema and table",
			sources: `  - source: jp-accounts
    table: "shop_*.orders"
    columns: {id: "meta.table + string(id)"}
`,
			want: []spot{{5, 12, `put meta.schema in the target key`}},
		},
		{
			name: "two driving entries without owns",
			sources: `  - source: jp-accounts
    table: accounts.users
    driving: true
    columns: {id: id}
  - source: jp-accounts-2
    table: accounts.users
    driving: true
    columns: {id: id}
`,
			want: []spot{
				{6, 14, `sources[0].driving: several driving sources feed global.members and their keys can collide: give each owns: (a condition on the target key saying which keys it writes), or put meta.source in this one's target key to tell its keys from those of sources[1]`},
				{10, 14, `sources[1].driving: several driving sources feed global.members`},
			},
		},
		{
			name: "two driving entries of the same table",
			sources: `  - {source: jp-accounts, table: accounts.users, driving: true, columns: {id: "meta.source + string(id)"}, filter: "id > 5"}
  - {source: jp-accounts, table: accounts.users, driving: true, owns: "true", columns: {id: id}, filter: "id <= 5"}
`,
			want: []spot{{4, 59, `sources[0].driving: reads the same tables as the driving sources[1], so their keys can collide: give each owns:`}},
		},
		{
			name: "glob with owns but an unqualified key",
			sources: `  - source: "jp-accounts*"
    table: accounts.users
    owns: "id < 1000"
    columns: {id: id}
`,
			want: []spot{{4, 13, `sources[0].source: "jp-accounts*" can match several sources`}},
		},
		{
			name: "glob table with a source-qualified key only",
			sources: `  - source: "jp-accounts*"
    table: shop.orders_*
    columns: {id: "meta.source + ':' + string(id)"}
`,
			want: []spot{{5, 12, `sources[0].table: "shop.orders_*" can match several tables`}},
		},
		{
			name: "glob source with a source-qualified key",
			sources: `  - source: "jp-accounts*"
    table: accounts.users
    columns: {id: "meta.source + ':' + string(id)", email: email}
`,
		},
		{
			name: "glob source and table with both in the key",
			sources: `  - source: "jp-*"
    table: shop.orders_*
    columns: {id: "meta.source + '/' + meta.table + ':' + string(id)"}
`,
		},
		{
			name: "glob source with owns and a qualified key",
			sources: `  - source: "jp-accounts*"
    table: accounts.users
    owns: "id != ''"
    columns: {id: "meta.source + ':' + string(id)"}
`,
		},
		{
			name: "two driving entries with owns",
			sources: `  - {source: jp-accounts, table: accounts.users, driving: true, owns: "id < 10", columns: {id: id}}
  - {source: jp-accounts-2, table: accounts.users, driving: true, owns: "id >= 10", columns: {id: "id + 10"}}
`,
		},
		{
			name: "two driving entries, one with owns, one qualified",
			sources: `  - {source: jp-accounts, table: accounts.users, driving: true, owns: "true", columns: {id: id}}
  - {source: jp-accounts-2, table: accounts.users, driving: true, columns: {id: "meta.source + string(id)"}}
`,
		},
		{
			name: "two driving tables told apart by meta.table",
			sources: `  - {source: jp-accounts, table: shop.orders_eu, driving: true, columns: {id: "meta.table + string(id)"}}
  - {source: jp-accounts, table: shop.orders_us, driving: true, columns: {id: "meta.table + string(id)"}}
`,
		},
		{
			name: "a non-driving source cannot compute a key that reads a table pattern",
			sources: `  - {source: jp-accounts, table: shop.orders_*, driving: true, columns: {id: "meta.table + string(id)"}}
  - {source: jp-accounts, table: shop.notes, join: {order_id: id}, columns: {note: note}}
`,
			want: []spot{{5, 5, `sources[1]: cannot compute the target key of its driving row: the key of m.yaml:4:5 reads meta.table, which this source's rows do not tell ("orders_*" is a pattern)`}},
		},
		{
			name: "a non-driving source of another source pattern",
			sources: `  - {source: "jp-accounts*", table: accounts.users, driving: true, columns: {id: "meta.source + string(id)"}}
  - {source: "jp-*", table: accounts.user_profiles, join: {user_id: id}, columns: {bio: bio}}
`,
			want: []spot{{5, 5, `reads meta.source, which this source's rows do not tell ("jp-accounts*" is a pattern)`}},
		},
		{
			name: "a non-driving source on the driving pattern",
			sources: `  - {source: "jp-accounts*", table: accounts.users, driving: true, columns: {id: "meta.source + string(id)"}}
  - {source: "jp-accounts*", table: accounts.user_profiles, join: {user_id: id}, columns: {bio: bio}}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(head+tt.sources), testSources)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			var ps Problems
			require.ErrorAs(t, err, &ps)
			require.Len(t, ps, len(tt.want), "%v", err)
			for i, w := range tt.want {
				require.Equal(t, "m.yaml", ps[i].File)
				require.Equal(t, [2]int{w.line, w.col}, [2]int{ps[i].Line, ps[i].Column}, "%s", ps[i].Message)
				require.Contains(t, ps[i].Message, w.msg)
			}
		})
	}
}

// Two shards matched by one glob write the same source id under two
// target keys, one per shard.
func TestGlobShardsKeepTheirKeysApart(t *testing.T) {
	s := mustParse(t, `
target: global.members
key: [id]
sources:
  - source: "jp-accounts*"
    table: accounts.users
    columns: {id: "meta.source + ':' + string(id)", email: email}
`)
	var keys []change.Value
	for _, src := range []string{"jp-accounts", "jp-accounts-2"} {
		txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(7, "a@x", "live")})
		txn.Source = src
		require.NoError(t, s.Apply(txn))
		require.Len(t, txn.Ops, 1)
		require.Equal(t, change.Upsert, txn.Ops[0].Kind)
		keys = append(keys, txn.Ops[0].Key...)
	}
	require.Equal(t, []change.Value{"jp-accounts:7", "jp-accounts-2:7"}, keys)
}

// A source-qualified shard next to one with owns: neither is rejected,
// and a profile's key carries the source of the user it completes.
func TestQualifiedShardBesideOwnedShard(t *testing.T) {
	s := parseWith(t, `
target: global.members
key: [id]
sources:
  - {source: jp-accounts, table: accounts.users, driving: true, owns: "id < 1000", columns: {id: "string(id)"}}
  - {source: jp-accounts-2, table: accounts.users, driving: true, columns: {id: "meta.source + ':' + string(id)"}}
  - {source: "jp-accounts*", table: accounts.user_profiles, join: {user_id: id}, columns: {bio: bio}}
`)
	users := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(7, "a@x", "live")})
	users.Source = "jp-accounts-2"
	require.NoError(t, s.Apply(users))
	require.Equal(t, change.Upsert, users.Ops[0].Kind)
	require.Equal(t, []change.Value{"jp-accounts-2:7"}, users.Ops[0].Key)

	profile := txnOf(change.RowChange{Table: profilesTable, Op: change.Insert, After: change.Row{uint64(7), "hi", "ja"}})
	profile.Source = "jp-accounts-2"
	require.NoError(t, s.Apply(profile))
	require.Equal(t, []op{{change.UpdateRow, []change.Value{"jp-accounts-2:7"}, []string{"bio"}, []change.Value{"hi"}, 0}}, view(profile.Ops))
}
