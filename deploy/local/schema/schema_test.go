package schema

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStatements(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{name: "empty", script: "", want: nil},
		{name: "comments only", script: "-- a\n  -- b\n", want: nil},
		{
			name:   "two statements",
			script: "-- head\nCREATE DATABASE a;\n\nCREATE TABLE a.t (\n  id INT\n);\n",
			want:   []string{"CREATE DATABASE a", "CREATE TABLE a.t (\n  id INT\n)"},
		},
		{name: "no final semicolon", script: "SELECT 1", want: []string{"SELECT 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Statements(tt.script))
		})
	}
}

func TestScriptsAreIdempotent(t *testing.T) {
	scripts := map[string]string{"accounts": Accounts, "recipes": Recipes, "target": Target}
	for name, script := range scripts {
		for _, stmt := range Statements(script) {
			require.Contains(t, stmt, "IF NOT EXISTS", "%s: %.40q", name, stmt)
		}
	}
}

func TestApply(t *testing.T) {
	s := testenv.StartT(t, testenv.Options{})
	db := s.DB(t, "")
	for range 2 {
		require.NoError(t, Apply(t.Context(), db, Accounts))
		require.NoError(t, Apply(t.Context(), db, Recipes))
		require.NoError(t, Apply(t.Context(), db, Target))
	}
	rows, err := db.QueryContext(t.Context(), `SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables
		WHERE table_schema IN ('accounts', 'recipes')`)
	require.NoError(t, err)
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	require.ElementsMatch(t, []string{
		"accounts.user_profiles", "accounts.users",
		"recipes.cooksnaps", "recipes.recipes", "recipes.steps",
	}, tables)
	var global string
	require.NoError(t, db.QueryRowContext(t.Context(), "SHOW DATABASES LIKE 'global'").Scan(&global))
	require.Equal(t, "global", strings.ToLower(global))
}
