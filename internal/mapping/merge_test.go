package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// shardedMembers merges two account shards, each with its profiles, and
// looks up a display name from a third table.
const shardedMembers = `
target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    owns: "id < 1000000000"
    columns: {id: id, email: email}
  - source: jp-accounts-2
    table: accounts.users
    driving: true
    owns: "id >= 1000000000"
    columns: {id: "id + 1000000000", email: email}
  - source: "jp-accounts*"
    table: accounts.user_profiles
    join: {user_id: id}
    columns: {bio: bio, locale: locale}
`

// enrichedRecipes looks up the author's name by a non-key column and the
// steps by the key.
const enrichedRecipes = `
target: global.recipes
key: [id]
sources:
  - source: jp-recipes
    table: recipes.recipes
    columns: {id: id, author_id: user_id, title: title}
lookups:
  - source: jp-accounts
    table: accounts.users
    match: {id: author_id}
    columns: {author_name: name}
  - source: jp-recipes
    table: recipes.steps
    match: {recipe_id: id}
    columns:
      steps: {json_array: body, order_by: [position, id]}
`

var recipesTable = &change.Table{
	Schema: "recipes", Name: "recipes",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindUint},
		{Name: "user_id", Kind: change.KindUint},
		{Name: "title", Kind: change.KindString},
	},
	PrimaryKey: []int{0},
}

var stepsTable = &change.Table{
	Schema: "recipes", Name: "steps",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindUint},
		{Name: "recipe_id", Kind: change.KindUint},
		{Name: "position", Kind: change.KindInt},
		{Name: "body", Kind: change.KindString},
	},
	PrimaryKey: []int{0},
}

func parseWith(t *testing.T, src string) *Set {
	t.Helper()
	s, err := Parse("m.yaml", []byte(src), []string{"jp-accounts", "jp-accounts-2", "jp-recipes"})
	require.NoError(t, err)
	return s
}

func TestMergeCompletesDrivingRows(t *testing.T) {
	s := parseWith(t, shardedMembers)
	for _, tt := range []struct {
		source  string
		id      uint64
		wantKey change.Value
	}{{"jp-accounts", 5, uint64(5)}, {"jp-accounts-2", 5, int64(1000000005)}} {
		txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(tt.id, "a@x", "live")})
		txn.Source = tt.source
		require.NoError(t, s.Apply(txn))
		require.Len(t, txn.Ops, 1)
		op := txn.Ops[0]
		require.Equal(t, change.Upsert, op.Kind)
		require.Equal(t, []change.Value{tt.wantKey}, op.Key)
		require.Len(t, op.Pending, 1, "the profile completes the row")
		p := op.Pending[0]
		require.Equal(t, tt.source, p.Source, "the profile is read on the shard of the user")
		require.Equal(t, []change.Value{tt.id}, p.Params, "by the user's own id, not the target key")
		require.Equal(t, []string{"user_id"}, p.Lookup.Match)
		require.Equal(t, []string{"bio", "locale"}, p.Lookup.Columns)
		require.Equal(t, "accounts", p.Lookup.Schema)
		require.Equal(t, "user_profiles", p.Lookup.Table)

		vals, ok, err := p.Lookup.Eval(profilesTable, change.Row{tt.id, "hi", "ja"})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, []change.Value{"hi", "ja"}, vals)
	}
}

func TestMergeProfileKeyFollowsItsShard(t *testing.T) {
	s := parseWith(t, shardedMembers)
	txn := txnOf(change.RowChange{Table: profilesTable, Op: change.Insert, After: change.Row{uint64(5), "hi", "ja"}})
	txn.Source = "jp-accounts-2"
	require.NoError(t, s.Apply(txn))
	require.Equal(t, []op{{change.UpdateRow, []change.Value{int64(1000000005)}, []string{"bio", "locale"}, []change.Value{"hi", "ja"}, 0}}, view(txn.Ops))
}

func TestMergeRejectsKeysOfAnotherShard(t *testing.T) {
	s := parseWith(t, shardedMembers)
	// Shard 1 writes a user whose id lies in shard 2's range: the change
	// must reach the error policy, never overwrite shard 2's row.
	txn := txnOf(
		change.RowChange{Table: usersTable, Op: change.Insert, After: user(1000000007, "a@x", "live")},
		change.RowChange{Table: usersTable, Op: change.Delete, Before: user(1000000008, "b@x", "live")},
		change.RowChange{Table: profilesTable, Op: change.Insert, After: change.Row{uint64(1000000009), "hi", "ja"}},
		change.RowChange{Table: usersTable, Op: change.Insert, After: user(3, "c@x", "live")},
	)
	require.NoError(t, s.Apply(txn))
	require.Len(t, txn.Ops, 4)
	for i := range 3 {
		o := txn.Ops[i]
		require.Equal(t, change.Reject, o.Kind, "op %d", i)
		require.ErrorIs(t, o.Err, ErrNotOwned)
		require.Nil(t, o.Pending)
		require.Nil(t, o.Values, "a rejected op carries no values to write")
	}
	require.Equal(t, change.Upsert, txn.Ops[3].Kind)
}

func TestMergeOverlappingOwnersReject(t *testing.T) {
	s := parseWith(t, `
target: global.members
key: [id]
sources:
  - {source: jp-accounts, table: accounts.users, driving: true, owns: "id < 10", columns: {id: id}}
  - {source: jp-accounts-2, table: accounts.users, driving: true, owns: "id > 5", columns: {id: id}}
`)
	txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(7, "a@x", "live")})
	require.NoError(t, s.Apply(txn))
	require.Equal(t, change.Reject, txn.Ops[0].Kind)
	require.ErrorContains(t, txn.Ops[0].Err, "also claims")
}

func TestLookupsCompleteAndRederive(t *testing.T) {
	s := parseWith(t, enrichedRecipes)
	require.True(t, s.Includes("jp-accounts", "accounts", "users"), "looked-up tables are read")
	require.True(t, s.Includes("jp-recipes", "recipes", "steps"))
	require.False(t, s.Includes("jp-accounts-2", "accounts", "users"))

	txn := &change.Txn{Source: "jp-recipes", Changes: []change.RowChange{
		{Table: recipesTable, Op: change.Insert, After: change.Row{uint64(7), uint64(3), "Soup"}},
	}}
	require.NoError(t, s.Apply(txn))
	require.Len(t, txn.Ops, 1)
	ps := txn.Ops[0].Pending
	require.Len(t, ps, 2)
	require.Equal(t, "jp-accounts", ps[0].Source)
	require.Equal(t, []change.Value{uint64(3)}, ps[0].Params, "the author id")
	require.Equal(t, []string{"author_name"}, ps[0].Lookup.Columns)
	require.Equal(t, &change.Via{Source: "jp-recipes", Schema: "recipes", Table: "recipes", Key: []string{"id"}, Cond: []string{"user_id"}}, ps[0].Lookup.Via)
	require.Equal(t, []change.Value{uint64(7)}, ps[1].Params, "the recipe id")
	require.True(t, ps[1].Lookup.Array)
	require.Equal(t, []string{"position", "id"}, ps[1].Lookup.OrderBy)

	// A renamed user re-derives every recipe whose author_id is the user.
	rename := &change.Txn{Source: "jp-accounts", Changes: []change.RowChange{
		{Table: usersTable, Op: change.Update, Before: user(3, "a@x", "live"), After: func() change.Row {
			r := user(3, "a@x", "live")
			r[2] = "New"
			return r
		}()},
		// An e-mail change touches no looked-up column: nothing to do.
		{Table: usersTable, Op: change.Update, Before: user(4, "a@x", "live"), After: user(4, "b@x", "live")},
	}}
	require.NoError(t, s.Apply(rename))
	require.Len(t, rename.Ops, 1)
	o := rename.Ops[0]
	require.Equal(t, change.Rederive, o.Kind)
	require.Equal(t, []string{"author_id"}, o.Cond)
	require.Equal(t, []change.Value{uint64(3)}, o.CondValues)
	require.Nil(t, o.Key)

	// A step moving between recipes re-derives both, by key. The later
	// changes of recipe 8's and recipe 7's steps ask again for what the
	// run of re-derivations before them asks for, and add nothing.
	move := &change.Txn{Source: "jp-recipes", Changes: []change.RowChange{
		{Table: stepsTable, Op: change.Update, Before: change.Row{uint64(1), uint64(7), int64(1), "a"}, After: change.Row{uint64(1), uint64(8), int64(1), "a"}},
		{Table: stepsTable, Op: change.Update, Before: change.Row{uint64(2), uint64(8), int64(1), "b"}, After: change.Row{uint64(2), uint64(8), int64(1), "c"}},
		{Table: stepsTable, Op: change.Delete, Before: change.Row{uint64(3), uint64(9), int64(1), "d"}},
		{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(4), uint64(7), int64(2), "e"}},
	}}
	require.NoError(t, s.Apply(move))
	var keys []change.Value
	var from []int
	for _, o := range move.Ops {
		require.Equal(t, change.UpdateRow, o.Kind)
		require.Len(t, o.Pending, 1)
		keys = append(keys, o.Key[0])
		from = append(from, o.Change)
	}
	require.Equal(t, []change.Value{uint64(7), uint64(8), uint64(9)}, keys)
	require.Equal(t, []int{0, 0, 2}, from, "each kept at its first place")

	// The children of one row, inserted together, write it once; a
	// recipe's own insert between them keeps the one after it.
	children := &change.Txn{Source: "jp-recipes", Changes: []change.RowChange{
		{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(5), uint64(7), int64(1), "a"}},
		{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(6), uint64(7), int64(2), "b"}},
		{Table: recipesTable, Op: change.Insert, After: change.Row{uint64(7), uint64(3), "Soup"}},
		{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(7), uint64(7), int64(3), "c"}},
		{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(8), uint64(7), int64(4), "d"}},
	}}
	require.NoError(t, s.Apply(children))
	var kinds []change.TargetOpKind
	for _, o := range children.Ops {
		require.Equal(t, uint64(7), o.Key[0])
		kinds = append(kinds, o.Kind)
	}
	require.Equal(t, []change.TargetOpKind{change.UpdateRow, change.Upsert, change.UpdateRow}, kinds)

	// Only the last repeatsWithin operations are searched: a recipe asked
	// for again after as many others is asked for twice.
	var far []change.RowChange
	for r := range repeatsWithin + 1 {
		far = append(far, change.RowChange{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(100 + r), uint64(1000 + r), int64(1), "a"}})
	}
	far = append(far,
		change.RowChange{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(200), uint64(1000 + 1), int64(2), "b"}},
		change.RowChange{Table: stepsTable, Op: change.Insert, After: change.Row{uint64(201), uint64(1000), int64(2), "b"}})
	farTxn := &change.Txn{Source: "jp-recipes", Changes: far}
	require.NoError(t, s.Apply(farTxn))
	require.Len(t, farTxn.Ops, repeatsWithin+2, "recipe 1001 within reach, recipe 1000 beyond it")
	require.Equal(t, uint64(1000), farTxn.Ops[repeatsWithin+1].Key[0])
}

func TestLookupSchemaDrift(t *testing.T) {
	s := parseWith(t, enrichedRecipes)
	narrow := &change.Table{Schema: "recipes", Name: "steps", Columns: []change.Column{{Name: "id"}, {Name: "recipe_id"}}}
	txn := &change.Txn{Source: "jp-recipes", Changes: []change.RowChange{{Table: narrow, Op: change.Insert, After: change.Row{uint64(1), uint64(2)}}}}
	require.ErrorIs(t, s.Apply(txn), ErrSchemaDrift)
}
