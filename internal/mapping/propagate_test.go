package mapping

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// propagateMappings has a driving entry, a non-driving one and two
// lookups (one an array), all under ddl: propagate; %s is the driving
// entry's delete policy line.
const propagateMappings = `
target: g.members
key: [id]
ddl: propagate
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    %s
    columns: {id: id, email: email}
  - source: jp-accounts
    table: accounts.user_profiles
    join: {user_id: id}
    columns: {bio: bio, locale: locale}
lookups:
  - source: jp-accounts
    table: accounts.plans
    match: {plan_id: id}
    columns: {plan: name}
  - source: jp-accounts
    table: accounts.badges
    match: {user_id: id}
    columns:
      badges: {json_array: name}
`

func TestPropagate(t *testing.T) {
	ddl := func(kind change.DDLKind, table string, cols ...string) *change.Txn {
		d := change.DDL{Kind: kind, Schema: "accounts", Table: table, Columns: cols}
		if kind == change.DDLRename {
			d.NewSchema, d.NewTable = "accounts", table+"_old"
		}
		return &change.Txn{Source: "jp-accounts", GTID: "0-1-9", End: change.Position{GTIDSet: "0-1-9"}, DDL: []change.DDL{d}}
	}
	truncate := []change.TargetOp{{Kind: change.TruncateTarget, Change: -1}}
	clear := []change.TargetOp{{Kind: change.ClearColumns, Columns: []string{"bio", "locale"}, Values: []change.Value{nil, nil}, Change: -1}}
	tests := []struct {
		name   string
		delete string
		txn    *change.Txn
		want   []change.TargetOp
		halts  string
	}{
		{"truncate of the driving table empties the target", "", ddl(change.DDLTruncate, "users"), truncate, ""},
		{"drop of the driving table empties the target", "delete: delete", ddl(change.DDLDrop, "users"), truncate, ""},
		{"rename of the driving table empties the target", "", ddl(change.DDLRename, "users"), truncate, ""},
		{"delete: ignore keeps the rows", "delete: ignore", ddl(change.DDLTruncate, "users"), nil, ""},
		{"truncate of a contributor clears its columns", "", ddl(change.DDLTruncate, "user_profiles"), clear, ""},
		{"drop of a contributor clears its columns", "", ddl(change.DDLDrop, "user_profiles"), clear, ""},
		{"truncate of a lookup clears its columns", "", ddl(change.DDLTruncate, "plans"),
			[]change.TargetOp{{Kind: change.ClearColumns, Columns: []string{"plan"}, Values: []change.Value{nil}, Change: -1}}, ""},
		{"truncate of an array lookup empties its arrays", "", ddl(change.DDLTruncate, "badges"),
			[]change.TargetOp{{Kind: change.ClearColumns, Columns: []string{"badges"}, Values: []change.Value{change.JSON("[]")}, Change: -1}}, ""},
		{"alter halts", "", ddl(change.DDLAlter, "users", "email"), nil, "has ddl: propagate, which carries TRUNCATE, DROP and RENAME over to the target but not ALTER"},
		{"alter of a contributor halts", "", ddl(change.DDLAlter, "user_profiles", "bio"), nil, "but not ALTER"},
		{"alter of an unread column passes", "", ddl(change.DDLAlter, "users", "avatar"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, fmt.Sprintf(propagateMappings, tt.delete))
			notices, err := s.CheckDDL(tt.txn)
			if tt.halts != "" {
				var de *DDLError
				require.ErrorAs(t, err, &de)
				require.ErrorContains(t, err, tt.halts)
				require.Contains(t, err.Error(), "checkpoint set --source jp-accounts --gtid '0-1-9'")
				return
			}
			require.NoError(t, err)
			ops := DDLOps(notices)
			for i := range ops {
				require.Equal(t, "g.members", ops[i].Target.QualifiedName())
				require.Equal(t, []string{"id"}, ops[i].Target.Key)
				ops[i].Target = nil
			}
			require.Equal(t, tt.want, ops)
			for _, n := range notices {
				require.Equal(t, DDLPropagate, n.Policy)
			}
		})
	}
}

func TestPropagateAfterTheRows(t *testing.T) {
	// The mapping stage's operations of a transaction: its rows', then
	// the statements'.
	s := mustParse(t, fmt.Sprintf(propagateMappings, ""))
	txn := &change.Txn{Source: "jp-accounts", DDL: []change.DDL{{Kind: change.DDLTruncate, Schema: "accounts", Table: "users"}}}
	notices, err := s.CheckDDL(txn)
	require.NoError(t, err)
	require.Empty(t, txn.Ops, "CheckDDL leaves the operations to the caller")
	require.Len(t, DDLOps(notices), 1)
	require.True(t, DDLOps(notices)[0].Kind.Barrier())
}

func TestPropagateRefused(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"several driving entries", `
target: g.members
key: [id]
ddl: propagate
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    owns: "id < 1000000000"
    columns: {id: id}
  - source: jp-accounts-2
    table: accounts.users
    driving: true
    owns: "id >= 1000000000"
    columns: {id: "id + 1000000000"}
`, []string{`m.yaml:4:6: ddl: propagate needs a single driving entry, and g.members has 2 (m.yaml:6:5, m.yaml:11:5)`,
			"owns: or key as SQL, which is not supported"}},
		{"a source pattern", `
target: g.members
key: [id]
ddl: propagate
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    columns: {id: id}
  - source: "jp-*"
    table: accounts.user_profiles
    join: {user_id: id}
    columns: {bio: bio}
`, []string{`m.yaml:10:13: sources[1].source: "jp-*" matches several sources, and ddl: propagate needs every entry to read one table of one source`}},
		{"a table pattern", `
target: g.events
key: [id]
ddl: propagate
sources:
  - source: jp-logs
    table: logs.events_*
    driving: true
    columns: {id: id}
`, []string{`m.yaml:7:12: sources[0].table: "logs.events_*" is a pattern`}},
		{"a soft-deleting driving entry", `
target: g.users
key: [id]
ddl: propagate
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    delete: soft
    soft_delete: {column: deleted_at}
    columns: {id: id}
`, []string{`m.yaml:6:5: ddl: propagate cannot carry a TRUNCATE or DROP of a soft-deleting driving table over`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.src), nil)
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestPropagateSourcePatternOfOneConfiguredSource(t *testing.T) {
	// A pattern that matches one configured source reads one source.
	src := `
target: g.members
key: [id]
ddl: propagate
sources:
  - source: "jp-acc*"
    table: accounts.users
    driving: true
    columns: {id: "meta.source + ':' + string(id)"}
`
	_, err := Parse("m.yaml", []byte(src), []string{"jp-accounts", "eu-accounts"})
	require.NoError(t, err)
	_, err = Parse("m.yaml", []byte(src), []string{"jp-accounts", "jp-accounts-2"})
	require.ErrorContains(t, err, `"jp-acc*" matches several sources`)
}
