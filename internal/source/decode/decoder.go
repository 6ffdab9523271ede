package decode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ErrSchemaMismatch is returned by NewDecoder when the fallback table does
// not fit the table map (another column count or an incompatible column
// type), usually because the schema changed since it was described.
var ErrSchemaMismatch = errors.New("binlog table map does not match the schema")

// ErrSchemaRequired is returned by NewDecoder when the table map carries no
// column names (binlog_row_metadata MINIMAL or NO_LOG) and no fallback table
// was given.
var ErrSchemaRequired = errors.New("table map carries no column names and no schema was given")

// Decoder decodes the rows of one table map. It does not change after
// NewDecoder, so several goroutines may decode rows with it at once.
type Decoder struct {
	table *change.Table
	cols  []column
}

// HasNames reports whether tm carries column names (binlog_row_metadata=FULL).
func HasNames(tm *replication.TableMapEvent) bool {
	return len(tm.ColumnName) > 0
}

// NewDecoder builds a decoder from a table map event. When the table map
// carries no column names (binlog_row_metadata=MINIMAL on MySQL/Aurora),
// fallback (the table as described by information_schema, possibly from
// schema history) gives names, primary key, ENUM/SET member names and
// whatever else the table map lacks; a column count mismatch between the two
// is an ErrSchemaMismatch that names the table and both counts.
//
// With full metadata, fallback may be nil. When given, it is consulted only
// for what the table map cannot tell (a MariaDB JSON column), and only for
// columns with the same name and a compatible type.
func NewDecoder(tm *replication.TableMapEvent, fallback *change.Table) (*Decoder, error) {
	n := int(tm.ColumnCount)
	name := string(tm.Schema) + "." + string(tm.Table)
	if len(tm.ColumnType) != n || len(tm.ColumnMeta) != n {
		return nil, fmt.Errorf("decoding table map of %s: %d columns but %d types and %d metadata", name, n, len(tm.ColumnType), len(tm.ColumnMeta))
	}
	m := newTableMeta(tm)
	if fallback != nil && len(fallback.Columns) != n {
		if !m.full {
			return nil, fmt.Errorf("decoding table map of %s: the binlog has %d columns, the schema %d: %w", name, n, len(fallback.Columns), ErrSchemaMismatch)
		}
		fallback = nil
	}
	if !m.full && fallback == nil {
		return nil, fmt.Errorf("decoding table map of %s: %w", name, ErrSchemaRequired)
	}
	t := &change.Table{Schema: string(tm.Schema), Name: string(tm.Table), Columns: make([]change.Column, n)}
	d := &Decoder{table: t, cols: make([]column, n)}
	names := tm.ColumnNameString()
	for i := range n {
		var fb *change.Column
		if fallback != nil {
			fb = &fallback.Columns[i]
		}
		colName := ""
		if m.full {
			colName = names[i]
			if fb != nil && !strings.EqualFold(fb.Name, colName) {
				fb = nil
			}
		} else {
			colName = fb.Name
		}
		c, out, err := describeColumn(m, i, fb)
		if err != nil {
			return nil, fmt.Errorf("decoding table map of %s, column %s: %w", name, colName, err)
		}
		out.Name = colName
		d.cols[i], t.Columns[i] = c, out
	}
	var err error
	if m.full {
		t.PrimaryKey, err = m.primaryKey()
	} else {
		t.PrimaryKey, err = checkedKey(fallback.PrimaryKey, n)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding table map of %s: %w", name, err)
	}
	return d, nil
}

// describeColumn builds column i, with the fallback column when its type
// is compatible with the table map's. With full metadata an incompatible
// fallback column is ignored; without, it is an ErrSchemaMismatch.
func describeColumn(m *tableMeta, i int, fb *change.Column) (column, change.Column, error) {
	c, out, err := buildColumn(m, i, fb)
	if err != nil || fb == nil || compatible(out.Kind, fb.Kind) {
		return c, out, err
	}
	if !m.full {
		return column{}, change.Column{}, fmt.Errorf("binlog type %s, schema kind %s: %w", out.Type, fb.Kind, ErrSchemaMismatch)
	}
	return buildColumn(m, i, nil)
}

// compatible reports whether a column the table map describes as kind may
// be the column a schema describes as schemaKind.
func compatible(kind, schemaKind change.Kind) bool {
	if schemaKind == change.KindUnknown || schemaKind == kind {
		return true
	}
	family := func(k change.Kind) int {
		switch k {
		case change.KindInt, change.KindUint:
			return 1
		case change.KindString, change.KindBytes, change.KindJSON:
			return 2
		}
		return 0
	}
	return family(kind) != 0 && family(kind) == family(schemaKind)
}

// checkedKey copies a fallback primary key after checking its indexes.
func checkedKey(pk []int, n int) ([]int, error) {
	if len(pk) == 0 {
		return nil, nil
	}
	out := make([]int, len(pk))
	for i, c := range pk {
		if c < 0 || c >= n {
			return nil, fmt.Errorf("primary key column %d out of range: %w", c, ErrSchemaMismatch)
		}
		out[i] = c
	}
	return out, nil
}

// Table returns the table the decoder's rows belong to. It is shared by
// every row change of this table map and must not be modified.
func (d *Decoder) Table() *change.Table { return d.table }

// Row converts one decoded row image (RowsEvent.Rows[i]) into a change.Row.
// The conversion happens in raw itself, which the returned row shares, so a
// raw image is decoded once only; values may share memory with the event.
// NULL stays nil.
func (d *Decoder) Row(raw []any) (change.Row, error) {
	if len(raw) != len(d.cols) {
		return nil, fmt.Errorf("decoding row of %s: %d values for %d columns", d.table.QualifiedName(), len(raw), len(d.cols))
	}
	for i, v := range raw {
		if v == nil {
			continue
		}
		out, err := d.cols[i].value(v)
		if err != nil {
			return nil, fmt.Errorf("decoding row of %s, column %s: %w", d.table.QualifiedName(), d.table.Columns[i].Name, err)
		}
		raw[i] = out
	}
	return change.Row(raw), nil
}
