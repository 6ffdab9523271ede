// Package schema owns the SQL that creates the demo schemas on the local
// stack's source and target servers.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "embed"
)

// Accounts creates the accounts schema of jp-accounts and jp-accounts-2.
//
//go:embed accounts.sql
var Accounts string

// Recipes creates the recipes schema of jp-recipes.
//
//go:embed recipes.sql
var Recipes string

// Target creates the target's global schema.
//
//go:embed target.sql
var Target string

// Statements splits a script into its statements. Scripts here end every
// statement with ';' and hold no ';' inside literals; lines starting with
// "--" are comments.
func Statements(script string) []string {
	var b strings.Builder
	for line := range strings.Lines(script) {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
	}
	var stmts []string
	for s := range strings.SplitSeq(b.String(), ";") {
		if s = strings.TrimSpace(s); s != "" {
			stmts = append(stmts, s)
		}
	}
	return stmts
}

// Apply runs every statement of script on db in order. The scripts only
// create what does not exist yet, so applying one twice is harmless.
func Apply(ctx context.Context, db *sql.DB, script string) error {
	for _, stmt := range Statements(script) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("applying schema statement %.40q: %w", stmt, err)
		}
	}
	return nil
}
