package backfill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ErrNoKey reports a table that has neither a primary key nor a unique key
// of NOT NULL columns: its rows cannot be read in chunks by key.
var ErrNoKey = errors.New("no usable key")

// index is one unique index of a table, as information_schema describes it.
type index struct {
	name    string
	columns []string
	// nullable is set when one of the columns accepts NULL: NULLs are not
	// unique and do not compare, so such an index cannot order chunks.
	nullable bool
}

const uniqueIndexesQuery = `SELECT INDEX_NAME, COLUMN_NAME, NULLABLE FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
ORDER BY INDEX_NAME, SEQ_IN_INDEX`

// uniqueIndexes reads the unique indexes of schema.table.
func uniqueIndexes(ctx context.Context, db *sql.DB, schema, table string) ([]index, error) {
	rows, err := db.QueryContext(ctx, uniqueIndexesQuery, schema, table)
	if err != nil {
		return nil, fmt.Errorf("reading the unique keys of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var name, column, nullable string
		if err := rows.Scan(&name, &column, &nullable); err != nil {
			return nil, fmt.Errorf("reading the unique keys of %s.%s: %w", schema, table, err)
		}
		if len(out) == 0 || out[len(out)-1].name != name {
			out = append(out, index{name: name})
		}
		ix := &out[len(out)-1]
		ix.columns = append(ix.columns, column)
		ix.nullable = ix.nullable || strings.EqualFold(nullable, "YES")
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the unique keys of %s.%s: %w", schema, table, err)
	}
	return out, nil
}

// chooseKey picks the key chunks are ordered by: the primary key, else the
// unique key of NOT NULL columns with the fewest columns (then by name, so
// the choice is stable), else none.
func chooseKey(indexes []index) (index, bool) {
	var best *index
	for i := range indexes {
		ix := &indexes[i]
		if ix.name == "PRIMARY" {
			return *ix, true
		}
		if ix.nullable {
			continue
		}
		if best == nil || len(ix.columns) < len(best.columns) ||
			(len(ix.columns) == len(best.columns) && ix.name < best.name) {
			best = ix
		}
	}
	if best == nil {
		return index{}, false
	}
	return *best, true
}

// unorderedKinds are the column kinds a key cannot be chunked by: the
// server orders ENUM and SET by member number but compares them with a
// value by name, so a chunk's range and its order would disagree; JSON
// and GEOMETRY have no order at all.
var unorderedKinds = map[change.Kind]bool{
	change.KindEnum: true, change.KindSet: true, change.KindJSON: true, change.KindGeometry: true,
}

// keyColumns returns the indexes in t of the columns of ix, checking that
// each exists and can be ordered by.
func keyColumns(t *change.Table, ix index) ([]int, error) {
	out := make([]int, len(ix.columns))
	for i, name := range ix.columns {
		c := t.ColumnIndex(name)
		if c < 0 {
			return nil, fmt.Errorf("key %s of %s names column %s, which the table does not have", ix.name, t.QualifiedName(), name)
		}
		if unorderedKinds[t.Columns[c].Kind] {
			return nil, fmt.Errorf("%w: %s: key %s has the %s column %s, which chunks cannot be ordered by "+
				"(the server orders ENUM and SET by member number but compares them by name)",
				ErrNoKey, t.QualifiedName(), ix.name, t.Columns[c].Kind, name)
		}
		out[i] = c
	}
	return out, nil
}

// noKeyError is the refusal of a table without a usable key.
func noKeyError(t *change.Table, indexes []index) error {
	var nullable []string
	for _, ix := range indexes {
		if ix.nullable {
			nullable = append(nullable, ix.name)
		}
	}
	msg := fmt.Sprintf("%s has no primary key and no unique key of NOT NULL columns, so its rows cannot be read "+
		"in chunks by key; add a primary key (for example an AUTO_INCREMENT column) or make a unique key's columns NOT NULL",
		t.QualifiedName())
	if len(nullable) > 0 {
		slices.Sort(nullable)
		msg += fmt.Sprintf(" (unique keys with nullable columns: %s)", strings.Join(nullable, ", "))
	}
	return fmt.Errorf("%w: %s", ErrNoKey, msg)
}
