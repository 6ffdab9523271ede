package backfill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// Plan is how one table is read in chunks: its description, the key the
// chunks are ordered by and the optional predicate that restricts the rows.
type Plan struct {
	// Table describes the columns, as information_schema has them when
	// the plan is made; every chunk reads them all.
	Table *change.Table
	// Key holds the indexes in Table of the key columns, in key order;
	// KeyName is the index they come from ("PRIMARY" or a unique key).
	Key     []int
	KeyName string
	// Where is an SQL predicate over the table's columns; empty for all
	// rows.
	Where string

	rows *decode.RowReader
}

// KeyNames returns the names of the key columns, in key order.
func (p *Plan) KeyNames() []string {
	out := make([]string, len(p.Key))
	for i, c := range p.Key {
		out[i] = p.Table.Columns[c].Name
	}
	return out
}

// NewPlan describes schema.table on db and chooses the key its chunks are
// ordered by. A table without a usable key fails with ErrNoKey; a missing
// one with decode.ErrNoTable.
func NewPlan(ctx context.Context, db *sql.DB, schema, table, where string) (*Plan, error) {
	if err := CheckWhere(where); err != nil {
		return nil, err
	}
	t, err := decode.LoadTable(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	indexes, err := uniqueIndexes(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	ix, ok := chooseKey(indexes)
	if !ok {
		return nil, noKeyError(t, indexes)
	}
	return newPlan(t, ix, where)
}

// newPlan builds the plan of t ordered by ix.
func newPlan(t *change.Table, ix index, where string) (*Plan, error) {
	key, err := keyColumns(t, ix)
	if err != nil {
		return nil, err
	}
	p := &Plan{Table: t, Key: key, KeyName: ix.name, Where: strings.TrimSpace(where)}
	if p.rows, err = decode.NewRowReader(t); err != nil {
		return nil, err
	}
	return p, nil
}

// quote returns name as a backtick-quoted identifier.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// selectFrom writes "SELECT every column FROM the table", each column as
// the decoder reads it.
func (p *Plan) selectFrom(b *strings.Builder) {
	b.WriteString("SELECT ")
	for i, c := range p.Table.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(decode.SelectColumn(quote(c.Name), c.Kind))
	}
	b.WriteString(" FROM ")
	b.WriteString(quote(p.Table.Schema) + "." + quote(p.Table.Name))
}

// ChunkSQL returns the query that reads the next limit rows after the key
// values after (nil: from the first row), in key order, and its arguments.
//
// The range is the row-value comparison (k1, k2, ...) > (v1, v2, ...)
// written out as k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...: MariaDB reads
// the row-value form by scanning the whole index from its start, the
// written-out form as a range. FORCE INDEX keeps the server on the key
// the order is by. The read is a plain consistent read: it takes no locks.
func (p *Plan) ChunkSQL(after []change.Value, limit int) (string, []any) {
	var b strings.Builder
	var args []any
	p.selectFrom(&b)
	b.WriteString(" FORCE INDEX (" + quote(p.KeyName) + ")")
	var conds []string
	if after != nil {
		var or []string
		for i := range p.Key {
			var and []string
			for j := 0; j <= i; j++ {
				op := " = "
				if j == i {
					op = " > "
				}
				text, arg := sqlparam.Placeholder(after[j])
				and = append(and, quote(p.Table.Columns[p.Key[j]].Name)+op+text)
				if arg != nil {
					args = append(args, arg)
				}
			}
			term := strings.Join(and, " AND ")
			if len(and) > 1 {
				term = "(" + term + ")"
			}
			or = append(or, term)
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if p.Where != "" {
		conds = append(conds, "("+p.Where+")")
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY ")
	for i, c := range p.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(p.Table.Columns[c].Name))
	}
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(limit))
	return b.String(), args
}

// Querier runs queries: a *sql.DB, or a *sql.Conn holding a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Read runs the chunk query on db and returns its rows, each with a value
// per column of p.Table.
func (p *Plan) Read(ctx context.Context, db Querier, after []change.Value, limit int) ([]change.Row, error) {
	query, args := p.ChunkSQL(after, limit)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading a chunk of %s: %w", p.Table.QualifiedName(), err)
	}
	out, err := p.rows.Read(rows)
	if err != nil {
		return nil, fmt.Errorf("reading a chunk of %s: %w", p.Table.QualifiedName(), err)
	}
	return out, nil
}

// KeyOf returns the key values of row.
func (p *Plan) KeyOf(row change.Row) []change.Value {
	out := make([]change.Value, len(p.Key))
	for i, c := range p.Key {
		out[i] = row[c]
	}
	return out
}

// lineComment reports whether a "-- " comment starts at s[i]: two dashes
// followed by a space, a control character or the end.
func lineComment(s string, i int) bool {
	if !strings.HasPrefix(s[i:], "--") {
		return false
	}
	return i+2 == len(s) || s[i+2] <= ' '
}

// ErrBadWhere is wrapped by the refusals of CheckWhere.
var ErrBadWhere = errors.New("not a predicate")

// CheckWhere refuses a --where text that is not a lone predicate: one that
// holds a statement separator or a comment outside quotes (either could
// end or cut the chunk query), an unclosed quote, or unbalanced
// parentheses. Whether the rest is a valid predicate over the table the
// server says when the chunk query first runs.
func CheckWhere(where string) error {
	depth := 0
	var quoteChar byte
	for i := 0; i < len(where); i++ {
		c := where[i]
		if quoteChar != 0 {
			switch {
			case c == '\\' && quoteChar != '`':
				i++
			case c == quoteChar:
				quoteChar = 0
			}
			continue
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			quoteChar = c
		case c == ';':
			return fmt.Errorf("%w: %q holds a ';' (one predicate over the table's columns, as in a WHERE clause)", ErrBadWhere, where)
		case c == '#', c == '/' && i+1 < len(where) && where[i+1] == '*', lineComment(where, i):
			return fmt.Errorf("%w: %q holds a comment", ErrBadWhere, where)
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("%w: %q closes a parenthesis it did not open", ErrBadWhere, where)
			}
		}
	}
	switch {
	case quoteChar != 0:
		return fmt.Errorf("%w: %q leaves a %c quote open", ErrBadWhere, where, quoteChar)
	case depth != 0:
		return fmt.Errorf("%w: %q leaves a parenthesis open", ErrBadWhere, where)
	}
	return nil
}
