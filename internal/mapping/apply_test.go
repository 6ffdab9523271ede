package mapping

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// usersTable is accounts.users as the reader describes it.
var usersTable = &change.Table{
	Schema: "accounts", Name: "users",
	Columns: []change.Column{
		{Name: "id", Kind: change.KindUint},
		{Name: "email", Kind: change.KindString},
		{Name: "name", Kind: change.KindString},
		{Name: "status", Kind: change.KindEnum},
		{Name: "score", Kind: change.KindDecimal},
		{Name: "avatar", Kind: change.KindBytes},
	},
	PrimaryKey: []int{0},
}

// profilesTable is accounts.user_profiles.
var profilesTable = &change.Table{
	Schema: "accounts", Name: "user_profiles",
	Columns: []change.Column{
		{Name: "user_id", Kind: change.KindUint},
		{Name: "bio", Kind: change.KindString},
		{Name: "locale", Kind: change.KindString},
	},
	PrimaryKey: []int{0},
}

var commitTime = time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)

func user(id uint64, email, status string) change.Row {
	return change.Row{id, email, "Name", status, change.Decimal("1.50"), []byte{0, 1}}
}

func mustParse(t *testing.T, src string) *Set {
	t.Helper()
	s, err := Parse("m.yaml", []byte(src), nil)
	require.NoError(t, err)
	return s
}

func txnOf(changes ...change.RowChange) *change.Txn {
	return &change.Txn{Source: "jp-accounts", Seq: 7, GTID: "0-1-42", CommitTime: commitTime, Changes: changes}
}

// op is a compact view of a TargetOp for comparisons.
type op struct {
	Kind    change.TargetOpKind
	Key     []change.Value
	Columns []string
	Values  []change.Value
	Change  int
}

func view(ops []change.TargetOp) []op {
	out := make([]op, len(ops))
	for i, o := range ops {
		out[i] = op{o.Kind, o.Key, o.Columns, o.Values, o.Change}
	}
	return out
}

const filtered = `
target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    columns: {id: id, email: email}
    filter: "status != 'draft'"
`

const softDeleted = `
target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    columns: {id: id, email: email}
    delete: soft
    soft_delete: {column: deleted_at}
`

const ignored = `
target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    columns: {id: id}
    delete: ignore
`

const merged = `
target: global.members
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    columns: {id: id, email: email}
  - source: jp-accounts
    table: accounts.user_profiles
    join: {user_id: id}
    columns: {bio: bio, locale: "upper(locale)"}
`

func TestApply(t *testing.T) {
	ins := func(r change.Row) change.RowChange {
		return change.RowChange{Table: usersTable, Op: change.Insert, After: r}
	}
	del := func(r change.Row) change.RowChange {
		return change.RowChange{Table: usersTable, Op: change.Delete, Before: r}
	}
	read := func(r change.Row) change.RowChange {
		return change.RowChange{Table: usersTable, Op: change.Read, After: r}
	}
	upd := func(b, a change.Row) change.RowChange {
		return change.RowChange{Table: usersTable, Op: change.Update, Before: b, After: a}
	}
	cols := []string{"id", "email"}
	up := func(id uint64, email string, i int) op {
		return op{change.Upsert, []change.Value{id}, cols, []change.Value{id, email}, i}
	}
	rm := func(id uint64, i int) op { return op{change.DeleteRow, []change.Value{id}, nil, nil, i} }
	tests := []struct {
		name    string
		mapping string
		changes []change.RowChange
		want    []op
	}{
		{"insert matching", filtered, []change.RowChange{ins(user(1, "a@x", "live"))}, []op{up(1, "a@x", 0)}},
		{"insert filtered out", filtered, []change.RowChange{ins(user(1, "a@x", "draft"))}, []op{}},
		{"read matching", filtered, []change.RowChange{read(user(1, "a@x", "live"))}, []op{up(1, "a@x", 0)}},
		{"read filtered out", filtered, []change.RowChange{read(user(1, "a@x", "draft"))}, []op{}},
		{"delete matching", filtered, []change.RowChange{del(user(1, "a@x", "live"))}, []op{rm(1, 0)}},
		{"delete filtered out", filtered, []change.RowChange{del(user(1, "a@x", "draft"))}, []op{}},
		{"update both match", filtered, []change.RowChange{upd(user(1, "a@x", "live"), user(1, "b@x", "live"))}, []op{up(1, "b@x", 0)}},
		{"update stops matching", filtered, []change.RowChange{upd(user(1, "a@x", "live"), user(1, "a@x", "draft"))}, []op{rm(1, 0)}},
		{"update starts matching", filtered, []change.RowChange{upd(user(1, "a@x", "draft"), user(1, "a@x", "live"))}, []op{up(1, "a@x", 0)}},
		{"update neither matches", filtered, []change.RowChange{upd(user(1, "a@x", "draft"), user(1, "b@x", "draft"))}, []op{}},
		{"update changes key", filtered, []change.RowChange{upd(user(1, "a@x", "live"), user(2, "a@x", "live"))}, []op{rm(1, 0), up(2, "a@x", 0)}},
		{"changes keep order and index", filtered, []change.RowChange{ins(user(1, "a@x", "live")), ins(user(2, "b@x", "draft")), del(user(3, "c@x", "live"))},
			[]op{up(1, "a@x", 0), rm(3, 2)}},
		{"other table skipped", filtered, []change.RowChange{{Table: profilesTable, Op: change.Insert, After: change.Row{uint64(1), "bio", "ja"}}}, []op{}},
		{"soft delete", softDeleted, []change.RowChange{del(user(1, "a@x", "live"))},
			[]op{{change.Upsert, []change.Value{uint64(1)}, []string{"id", "deleted_at"}, []change.Value{uint64(1), change.Temporal("2024-03-01 12:30:45.123456")}, 0}}},
		{"soft delete live rows clear the mark", softDeleted, []change.RowChange{ins(user(1, "a@x", "live"))},
			[]op{{change.Upsert, []change.Value{uint64(1)}, []string{"id", "email", "deleted_at"}, []change.Value{uint64(1), "a@x", nil}, 0}}},
		{"soft delete on key change", softDeleted, []change.RowChange{upd(user(1, "a@x", "live"), user(2, "a@x", "live"))},
			[]op{
				{change.Upsert, []change.Value{uint64(1)}, []string{"id", "deleted_at"}, []change.Value{uint64(1), change.Temporal("2024-03-01 12:30:45.123456")}, 0},
				{change.Upsert, []change.Value{uint64(2)}, []string{"id", "email", "deleted_at"}, []change.Value{uint64(2), "a@x", nil}, 0},
			}},
		{"ignore delete", ignored, []change.RowChange{del(user(1, "a@x", "live"))}, []op{}},
		{"ignore keeps old key", ignored, []change.RowChange{upd(user(1, "a@x", "live"), user(2, "a@x", "live"))},
			[]op{{change.Upsert, []change.Value{uint64(2)}, []string{"id"}, []change.Value{uint64(2)}, 0}}},
		{"merge: profile insert updates an existing row", merged,
			[]change.RowChange{{Table: profilesTable, Op: change.Insert, After: change.Row{uint64(1), "hi", "ja"}}},
			[]op{{change.UpdateRow, []change.Value{uint64(1)}, []string{"bio", "locale"}, []change.Value{"hi", "JA"}, 0}}},
		{"merge: a profile read fills the owned columns only", merged,
			[]change.RowChange{{Table: profilesTable, Op: change.Read, After: change.Row{uint64(1), "hi", "ja"}}},
			[]op{{change.UpdateRow, []change.Value{uint64(1)}, []string{"bio", "locale"}, []change.Value{"hi", "JA"}, 0}}},
		{"merge: profile delete clears owned columns", merged,
			[]change.RowChange{{Table: profilesTable, Op: change.Delete, Before: change.Row{uint64(1), "hi", "ja"}}},
			[]op{{change.UpdateRow, []change.Value{uint64(1)}, []string{"bio", "locale"}, []change.Value{nil, nil}, 0}}},
		{"merge: profile moving to another user", merged,
			[]change.RowChange{{Table: profilesTable, Op: change.Update, Before: change.Row{uint64(1), "hi", "ja"}, After: change.Row{uint64(2), "hi", "ja"}}},
			[]op{
				{change.UpdateRow, []change.Value{uint64(1)}, []string{"bio", "locale"}, []change.Value{nil, nil}, 0},
				{change.UpdateRow, []change.Value{uint64(2)}, []string{"bio", "locale"}, []change.Value{"hi", "JA"}, 0},
			}},
		{"merge: profile without a user", merged,
			[]change.RowChange{{Table: profilesTable, Op: change.Insert, After: change.Row{nil, "hi", "ja"}}}, []op{}},
		{"merge: driving row", merged, []change.RowChange{ins(user(1, "a@x", "live"))}, []op{up(1, "a@x", 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.mapping)
			txn := txnOf(tt.changes...)
			require.NoError(t, s.Apply(txn))
			require.Equal(t, tt.want, view(txn.Ops))
			for _, o := range txn.Ops {
				require.Equal(t, "global.members", o.Target.QualifiedName())
			}
		})
	}
}

func TestApplyValues(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want change.Value
	}{
		{"column copied exactly", "score", change.Decimal("1.50")},
		{"bytes copied exactly", "avatar", []byte{0, 1}},
		{"string constant", "'user'", "user"},
		{"int constant", "42", int64(42)},
		{"float constant", "1.5", 1.5},
		{"bool constant", "true", int64(1)},
		{"null", "null", nil},
		{"meta.source", "meta.source", "jp-accounts"},
		{"meta.schema", "meta.schema", "accounts"},
		{"meta.table", "meta.table", "users"},
		{"meta.gtid", "meta.gtid", "0-1-42"},
		{"meta.commit_time", "meta.commit_time", change.Temporal("2024-03-01 12:30:45.123456")},
		{"computed time", "meta.commit_time.Add(duration('1h'))", change.Temporal("2024-03-01 13:30:45.123456")},
		{"unsigned arithmetic", "id + 1", int64(8)},
		{"string function", "upper(name)", "NAME"},
		{"decimal as text", "score + '0'", "1.500"},
		{"decimal as number", "float(score) * 2", 3.0},
		{"comparison", "id > 5", int64(1)},
		{"metadata in expression", "meta.source + ':' + string(id)", "jp-accounts:7"},
		{"conditional", "status == 'live' ? 'on' : nil", "on"},
		{"let", "let x = id * 2; x + 1", int64(15)},
		{"past the largest signed integer", "id - 7 + 9223372036854775807 + 1", uint64(9223372036854775808)},
		{"signed below zero", "id - 8", int64(-1)},
		{"string of NULL is NULL", "string(nil)", nil},
		{"string of a number", "string(id) + 'x'", "7x"},
		{"float arithmetic", "id * 0.5", 3.5},
		{"unary minus", "-id * -1 - 1", int64(6)},
		{"negative constant", "-1", int64(-1)},
		{"negative float", "-(id * 0.5)", -3.5},
		{"date arithmetic", "meta.commit_time - duration('1h') + duration('30m')", change.Temporal("2024-03-01 12:00:45.123456")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "target: g.t\nkey: [id]\nsources:\n  - source: jp-accounts\n    table: accounts.users\n    columns:\n      id: id\n      v: " + quote(tt.expr) + "\n"
			s := mustParse(t, src)
			txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(7, "a@x", "live")})
			require.NoError(t, s.Apply(txn))
			require.Len(t, txn.Ops, 1)
			require.Equal(t, []string{"id", "v"}, txn.Ops[0].Columns)
			require.Equal(t, tt.want, txn.Ops[0].Values[1])
		})
	}
}

// quote writes s as a double-quoted YAML scalar, or as is for null.
func quote(s string) string {
	if s == "null" {
		return s
	}
	return `"` + s + `"`
}

func TestApplyAllColumns(t *testing.T) {
	s := mustParse(t, `
target: global.users
key: [origin, id]
sources:
  - source: "jp-*"
    table: "accounts.users"
    all_columns: true
    exclude: [avatar, score]
    columns: {origin: meta.source, name: upper(name)}
`)
	txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "a@x", "live")})
	require.NoError(t, s.Apply(txn))
	require.Equal(t, []op{{change.Upsert, []change.Value{"jp-accounts", uint64(1)},
		[]string{"origin", "name", "id", "email", "status"},
		[]change.Value{"jp-accounts", "NAME", uint64(1), "a@x", "live"}, 0}}, view(txn.Ops))
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		change  change.RowChange
		drift   bool
		want    string
	}{
		{"missing column is drift", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id, x: missing}}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, true,
			`column "missing" of accounts.users`},
		{"missing key column with all_columns is drift", `
target: g.t
key: [uid]
sources: [{source: jp-accounts, table: accounts.users, all_columns: true}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, true,
			`target key column "uid"`},
		{"runtime error names column, hides values", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id, n: int(email)}}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing column "n": expression "int(email)": invalid operation (email string)`},
		{"integer overflow", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id, n: "id * 4611686018427387904 * 8"}}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing column "n": expression "id * 4611686018427387904 * 8": integer overflow (id uint64)`},
		{"a function that quotes the value it fails on", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id, d: "date(email)"}}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing column "d": expression "date(email)": invalid date ‹email› (email string)`},
		{"a filter that quotes it in quotes", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id}, filter: "date(email, '2006') != nil"}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing filter: expression "date(email, '2006') != nil": parsing time "…" as "…" (email string)`},
		{"null key", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: "nil"}}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing key column "id": value is NULL`},
		{"filter not boolean", `
target: g.t
key: [id]
sources: [{source: jp-accounts, table: accounts.users, columns: {id: id}, filter: email}]`,
			change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "secret@x", "live")}, false,
			`computing filter: expression "email": invalid operation (email string)`},
		{"short row", filtered,
			change.RowChange{Table: usersTable, Op: change.Insert, After: change.Row{uint64(1)}}, false,
			`1 values for 6 columns`},
		{"update without before image", filtered,
			change.RowChange{Table: usersTable, Op: change.Update, After: user(1, "secret@x", "live")}, false,
			`reading before image: missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.mapping)
			txn := txnOf(tt.change)
			err := s.Apply(txn)
			require.Error(t, err)
			require.Equal(t, tt.drift, errors.Is(err, ErrSchemaDrift))
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), "m.yaml:")
			require.Contains(t, err.Error(), "g")
			require.Contains(t, err.Error(), "gtid 0-1-42")
			require.NotContains(t, err.Error(), "secret")
			require.Empty(t, txn.Ops)
		})
	}
}

func TestApplyKeepsExistingOps(t *testing.T) {
	s := mustParse(t, filtered)
	prior := change.TargetOp{Kind: change.DeleteRow, Change: 99}
	txn := txnOf(change.RowChange{Table: usersTable, Op: change.Insert, After: user(1, "a@x", "live")})
	txn.Ops = []change.TargetOp{prior}
	require.NoError(t, s.Apply(txn))
	require.Len(t, txn.Ops, 2)
	require.Equal(t, prior, txn.Ops[0])
}

func TestRequirements(t *testing.T) {
	s, err := Load([]string{"testdata/good/members.yaml"}, nil)
	require.NoError(t, err)
	rs := s.Requirements()
	require.Len(t, rs, 2)
	require.Equal(t, Requirement{
		File: "testdata/good/members.yaml", Line: 5, Column: 5, Target: rs[0].Target,
		Source: "jp-accounts", Schema: "accounts", Table: "users", Driving: true,
		Columns: []string{"email", "id", "name"},
		Written: []string{"id", "email", "display_name", "origin", "kind", "deleted_at"},
	}, rs[0])
	require.Equal(t, []string{"bio", "locale", "user_id"}, rs[1].Columns)
	require.Equal(t, []string{"bio", "locale"}, rs[1].Written)
	require.False(t, rs[1].Driving)
	require.Equal(t, []Search{{Source: "jp-accounts", Schema: "accounts", Table: "user_profiles", Columns: []string{"user_id"},
		Purpose: "completing each driving row with this entry's columns"}}, rs[1].Searches)
}

// A lookup searches its table by its match columns, and one matched on
// a column other than the target key searches the driving table too, for
// the rows a change re-derives.
func TestRequirementsSearches(t *testing.T) {
	s := mustParse(t, enrichedRecipes)
	rs := s.Requirements()
	require.Len(t, rs, 3)
	require.Empty(t, rs[0].Searches, "a driving entry is read from the binlog only")
	require.Equal(t, []Search{
		{Source: "jp-accounts", Schema: "accounts", Table: "users", Columns: []string{"id"},
			Purpose: "reading this lookup"},
		{Source: "jp-recipes", Schema: "recipes", Table: "recipes", Columns: []string{"user_id"},
			Purpose: "finding the target rows that a change to a looked-up row re-derives"},
	}, rs[1].Searches)
	require.Equal(t, []Search{{Source: "jp-recipes", Schema: "recipes", Table: "steps", Columns: []string{"recipe_id"},
		Purpose: "reading this lookup"}}, rs[2].Searches)
}

func TestFeeds(t *testing.T) {
	s := mustParse(t, merged+`
lookups:
  - source: jp-accounts
    table: accounts.names
    match: {id: id}
    columns: {name: name}
`)
	require.Equal(t, []Feed{{Target: "global.members", File: "m.yaml"}}, s.Feeds("jp-accounts", "accounts", "users"))
	require.Equal(t, []Feed{{Target: "global.members", File: "m.yaml"}}, s.Feeds("jp-accounts", "accounts", "user_profiles"))
	require.Empty(t, s.Feeds("jp-accounts", "accounts", "names"), "a looked-up table is not copied")
	require.True(t, s.Includes("jp-accounts", "accounts", "names"))
	require.Empty(t, s.Feeds("jp-other", "accounts", "users"))
}
