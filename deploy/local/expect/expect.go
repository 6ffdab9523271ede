// Package expect computes the demo target's expected content straight from
// the source servers, independently of the mapping code, and compares it
// with the target.
package expect

import (
	"context"
	"database/sql"
	"fmt"
)

// Servers are connections to the demo's servers (database/sql,
// go-sql-driver/mysql; sessions use time_zone '+00:00').
type Servers struct {
	// Accounts is jp-accounts, the first account shard.
	Accounts *sql.DB
	// Accounts2 is jp-accounts-2, the second account shard.
	Accounts2 *sql.DB
	// Recipes is jp-recipes.
	Recipes *sql.DB
	// Target holds the global schema the mappings write to.
	Target *sql.DB
}

// ShardOffset is added to jp-accounts-2 user ids in global.members.
const ShardOffset = 1_000_000_000

// keep is how many rows a Diff keeps on each side.
const keep = 5

// Diff is how one target table differs from what the sources define.
type Diff struct {
	// Table is the target table, "global.members".
	Table string
	// Missing are rows only in the expected content, Unexpected rows only
	// in the target, in canonical form; at most 5 of each are kept. A row
	// whose values differ appears in both.
	Missing, Unexpected []string
	// Want and Got are the expected and the target's row counts.
	Want, Got int
}

// Equal reports whether the target table holds exactly the expected rows.
func (d Diff) Equal() bool {
	return len(d.Missing) == 0 && len(d.Unexpected) == 0
}

// table is one target table of the demo and how its content is expected.
type table struct {
	name    string
	columns string
	// jsonCol is the index of a JSON column compared semantically, 0 when
	// none (column 0 is always the id).
	jsonCol  int
	expected func(context.Context, Servers) ([]row, error)
}

// tables are the demo's target tables in the order Compare reports them.
var tables = []table{
	{name: "global.members", columns: "id, email, display_name, bio, locale", expected: members},
	{
		name:     "global.recipes",
		columns:  "id, author_id, author_name, title, description, status, steps",
		jsonCol:  6,
		expected: recipes,
	},
	{name: "global.cooksnaps", columns: "id, recipe_id, user_id, comment", expected: cooksnaps},
}

// Compare computes each demo target table's expected content from the
// sources, reads the table from the target and returns one Diff per table,
// in the order members, recipes, cooksnaps. The sources and the target
// should be still while it runs.
func Compare(ctx context.Context, s Servers) ([]Diff, error) {
	diffs := make([]Diff, 0, len(tables))
	for _, t := range tables {
		want, err := t.expected(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("computing expected %s: %w", t.name, err)
		}
		got, err := t.read(ctx, s.Target)
		if err != nil {
			return nil, fmt.Errorf("reading %s from the target: %w", t.name, err)
		}
		diffs = append(diffs, diff(t.name, want, got))
	}
	return diffs, nil
}

// read returns the table's rows on the target.
func (t table) read(ctx context.Context, db *sql.DB) ([]row, error) {
	vals, err := queryAll(ctx, db, "SELECT "+t.columns+" FROM "+t.name+" ORDER BY id")
	if err != nil {
		return nil, err
	}
	if t.jsonCol > 0 {
		for _, v := range vals {
			v[t.jsonCol] = canonicalJSON(v[t.jsonCol])
		}
	}
	return rowsOf(vals)
}
