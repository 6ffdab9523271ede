package decode

import (
	"database/sql"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// RowReader turns the rows of a query that selects every column of a
// described table, in order and each through SelectColumn, into change
// rows with the values the binlog decoder gives.
type RowReader struct {
	t    *change.Table
	conv []func([]byte) (change.Value, error)
}

// NewRowReader returns the RowReader of t, or an error naming a column
// whose type it cannot read.
func NewRowReader(t *change.Table) (*RowReader, error) {
	r := &RowReader{t: t, conv: make([]func([]byte) (change.Value, error), len(t.Columns))}
	for i, c := range t.Columns {
		var err error
		if r.conv[i], err = TextValue(c); err != nil {
			return nil, fmt.Errorf("reading column %s of %s: %w", c.Name, t.QualifiedName(), err)
		}
	}
	return r, nil
}

// Read returns the rows left in rows and closes them.
func (r *RowReader) Read(rows *sql.Rows) ([]change.Row, error) {
	defer rows.Close()
	raw := make([]sql.RawBytes, len(r.t.Columns))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var out []change.Row
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make(change.Row, len(raw))
		for i, conv := range r.conv {
			var err error
			if row[i], err = conv(raw[i]); err != nil {
				return nil, fmt.Errorf("reading column %s of %s: %w", r.t.Columns[i].Name, r.t.QualifiedName(), err)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
