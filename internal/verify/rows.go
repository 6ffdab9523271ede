package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// reader reads rows of one table, every column, decoded as the binlog
// decoder gives them.
type reader struct {
	t    *change.Table
	rows *decode.RowReader
	// sel is "SELECT cols FROM `schema`.`table`".
	sel string
}

// newReader describes schema.table on db.
func newReader(ctx context.Context, db *sql.DB, schema, table string) (*reader, error) {
	t, err := decode.LoadTable(ctx, db, schema, table)
	if err != nil {
		return nil, err
	}
	return readerOf(t)
}

// readerOf returns the reader of a described table.
func readerOf(t *change.Table) (*reader, error) {
	rows, err := decode.NewRowReader(t)
	if err != nil {
		return nil, err
	}
	r := &reader{t: t, rows: rows}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(decode.SelectColumn(quote(c.Name), c.Kind))
	}
	b.WriteString(" FROM " + quote(t.Schema) + "." + quote(t.Name))
	r.sel = b.String()
	return r, nil
}

// quote returns name as a backtick-quoted identifier.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// inSQL returns "(c1, c2) IN ((?, ?), ...)" for the key columns cols and
// keys, and its arguments. A NULL never equals anything, so a key holding
// one is left out.
func inSQL(cols []string, keys [][]change.Value) (string, []any) {
	var b strings.Builder
	var args []any
	if len(cols) > 1 {
		b.WriteByte('(')
	}
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(c))
	}
	if len(cols) > 1 {
		b.WriteByte(')')
	}
	b.WriteString(" IN (")
	n := 0
	for _, k := range keys {
		if hasNull(k) {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		if len(k) > 1 {
			b.WriteByte('(')
		}
		for j, v := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			text, arg := sqlparam.Placeholder(v)
			b.WriteString(text)
			if arg != nil {
				args = append(args, arg)
			}
		}
		if len(k) > 1 {
			b.WriteByte(')')
		}
	}
	b.WriteByte(')')
	if n == 0 {
		return "FALSE", nil
	}
	return b.String(), args
}

// hasNull reports whether a value of k is NULL.
func hasNull(k []change.Value) bool {
	for _, v := range k {
		if v == nil {
			return true
		}
	}
	return false
}

// byKeys reads the rows whose columns cols hold one of keys, the server
// comparing with the columns' collations.
func (r *reader) byKeys(ctx context.Context, db *sql.DB, cols []string, keys [][]change.Value) ([]change.Row, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cond, args := inSQL(cols, keys)
	return r.query(ctx, db, r.sel+" WHERE "+cond, args)
}

// query runs q and decodes its rows.
func (r *reader) query(ctx context.Context, db *sql.DB, q string, args []any) ([]change.Row, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading rows of %s: %w", r.t.QualifiedName(), err)
	}
	out, err := r.rows.Read(rows)
	if err != nil {
		return nil, fmt.Errorf("reading rows of %s: %w", r.t.QualifiedName(), err)
	}
	return out, nil
}

// afterSQL returns the keyset condition (k1, k2, ...) > (v1, v2, ...),
// written out so that MariaDB reads it as a range, and its arguments.
func afterSQL(cols []string, after []change.Value) (string, []any) {
	var or []string
	var args []any
	for i := range cols {
		var and []string
		for j := 0; j <= i; j++ {
			op := " = "
			if j == i {
				op = " > "
			}
			text, arg := sqlparam.Placeholder(after[j])
			and = append(and, quote(cols[j])+op+text)
			if arg != nil {
				args = append(args, arg)
			}
		}
		or = append(or, "("+strings.Join(and, " AND ")+")")
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// walkSQL returns the query reading the next limit rows of r's table in
// the order of cols after the key values after (nil: from the start).
func (r *reader) walkSQL(cols []string, after []change.Value, limit int) (string, []any) {
	q := r.sel
	var args []any
	if after != nil {
		cond, a := afterSQL(cols, after)
		q += " WHERE " + cond
		args = a
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quote(c)
	}
	q += " ORDER BY " + strings.Join(quoted, ", ") + " LIMIT " + strconv.Itoa(limit)
	return q, args
}
