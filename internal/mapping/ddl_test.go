package mapping

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

const ddlMappings = `
target: g.users
key: [id]
%s
sources:
  - source: jp-accounts
    table: accounts.users
    columns: {id: id, email: email}
lookups:
  - source: jp-accounts
    table: accounts.plans
    match: {plan_id: id}
    columns: {plan: name}
`

func TestCheckDDL(t *testing.T) {
	ddl := func(kind change.DDLKind, table string, cols ...string) *change.Txn {
		return &change.Txn{Source: "jp-accounts", GTID: "0-1-9", End: change.Position{GTIDSet: "0-1-9"},
			DDL: []change.DDL{{Kind: kind, Schema: "accounts", Table: table, Columns: cols}}}
	}
	tests := []struct {
		name    string
		policy  string
		txn     *change.Txn
		halts   bool
		notices int
	}{
		{"truncate halts by default", "", ddl(change.DDLTruncate, "users"), true, 0},
		{"drop halts", "ddl: halt", ddl(change.DDLDrop, "users"), true, 0},
		{"rename out halts", "", ddl(change.DDLRename, "users"), true, 0},
		{"alter of a read column halts", "", ddl(change.DDLAlter, "users", "email"), true, 0},
		{"alter of an unread column passes", "", ddl(change.DDLAlter, "users", "bio"), false, 0},
		{"truncate of a looked-up table halts", "", ddl(change.DDLTruncate, "plans"), true, 0},
		{"alter of a looked-up column halts", "", ddl(change.DDLAlter, "plans", "name"), true, 0},
		{"alter of another looked-up column passes", "", ddl(change.DDLAlter, "plans", "price"), false, 0},
		{"unmapped table passes", "", ddl(change.DDLTruncate, "audit"), false, 0},
		{"ignore goes on and says so", "ddl: ignore", ddl(change.DDLTruncate, "users"), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, fmt.Sprintf(ddlMappings, tt.policy))
			notices, err := s.CheckDDL(tt.txn)
			require.Len(t, notices, tt.notices)
			if !tt.halts {
				require.NoError(t, err)
				return
			}
			var de *DDLError
			require.ErrorAs(t, err, &de)
			require.Equal(t, "g.users", de.Target)
			require.Contains(t, err.Error(), "at GTID 0-1-9")
			require.Contains(t, err.Error(), "checkpoint set --source jp-accounts --gtid '0-1-9'")
			require.Contains(t, err.Error(), "m.yaml:")
		})
	}
}

func TestDDLPolicyIsChecked(t *testing.T) {
	_, err := Parse("m.yaml", []byte(fmt.Sprintf(ddlMappings, "ddl: propagate-later")), nil)
	require.ErrorContains(t, err, `m.yaml:4:6: ddl: must be halt, ignore or propagate (got "propagate-later")`)
}
