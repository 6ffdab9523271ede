package expect

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// values is one result row as text, NULL kept apart from the empty string.
type values []sql.NullString

// text returns a non-NULL value.
func text(s string) sql.NullString {
	return sql.NullString{String: s, Valid: true}
}

// queryAll runs q on db and returns every row as text.
func queryAll(ctx context.Context, db *sql.DB, q string) ([]values, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("querying %.60q: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("querying %.60q: %w", q, err)
	}
	var out []values
	for rows.Next() {
		v := make(values, len(cols))
		dest := make([]any, len(v))
		for i := range v {
			dest[i] = &v[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scanning %.60q: %w", q, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %.60q: %w", q, err)
	}
	return out, nil
}

// row is one table row: its numeric id and its canonical form.
type row struct {
	id   uint64
	text string
}

// newRow renders v, whose first value is the id.
func newRow(v values) (row, error) {
	id, err := strconv.ParseUint(v[0].String, 10, 64)
	if err != nil {
		return row{}, fmt.Errorf("parsing id %q: %w", v[0].String, err)
	}
	return row{id: id, text: render(v)}, nil
}

// rowsOf renders rows whose first value is the id.
func rowsOf(vals []values) ([]row, error) {
	rows := make([]row, 0, len(vals))
	for _, v := range vals {
		r, err := newRow(v)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// render returns the canonical form of v: each value as text, `\N` for
// NULL, backslash, tab, newline and carriage return escaped, joined by
// tabs. Distinct rows render distinctly.
func render(v values) string {
	var b strings.Builder
	for i, s := range v {
		if i > 0 {
			b.WriteByte('\t')
		}
		if !s.Valid {
			b.WriteString(`\N`)
			continue
		}
		escaper.WriteString(&b, s.String) //nolint:errcheck // a Builder does not fail
	}
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// canonicalJSON re-encodes a JSON value so that equal documents compare
// equal whatever the server did to spacing or key order. NULL and text that
// is not JSON are returned as they are; the latter never equals a
// canonical encoding, so it shows as a difference.
func canonicalJSON(s sql.NullString) sql.NullString {
	if !s.Valid {
		return s
	}
	var v any
	if err := json.Unmarshal([]byte(s.String), &v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return text(string(b))
}

// diff compares the expected rows of a table with the target's. Both are
// sorted in place by id, then by text.
func diff(name string, want, got []row) Diff {
	byID := func(a, b row) int { return cmp.Or(cmp.Compare(a.id, b.id), strings.Compare(a.text, b.text)) }
	slices.SortFunc(want, byID)
	slices.SortFunc(got, byID)
	d := Diff{Table: name, Want: len(want), Got: len(got)}
	for i, j := 0, 0; i < len(want) || j < len(got); {
		var c int
		switch {
		case i == len(want):
			c = 1
		case j == len(got):
			c = -1
		default:
			c = byID(want[i], got[j])
		}
		switch {
		case c == 0:
			i++
			j++
		case c < 0:
			if len(d.Missing) < keep {
				d.Missing = append(d.Missing, want[i].text)
			}
			i++
		default:
			if len(d.Unexpected) < keep {
				d.Unexpected = append(d.Unexpected, got[j].text)
			}
			j++
		}
	}
	return d
}
