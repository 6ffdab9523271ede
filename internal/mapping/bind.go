package mapping

import (
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ErrSchemaDrift reports a source table that matches a mapping but lacks a
// column the mapping needs.
var ErrSchemaDrift = errors.New("schema drift")

// binding is a contributor resolved against one source table schema.
type binding struct {
	table *change.Table
	// idx holds the table column index of each of the contributor's refs.
	idx []int
	// copyIdx lists the source columns all_columns copies, after the
	// columns named in columns:.
	copyIdx []int
	// cols are the target columns written, in value order: for a driving
	// source its columns, copied columns, then the soft-delete column; for
	// a non-driving source its columns (the key is computed by the join).
	cols []string
	// keyAt is the index in cols of each target key column (driving).
	keyAt []int
	// softCols are the columns of a soft delete: key, then soft column.
	softCols []string
}

// bind resolves c against table t, caching the most recent result.
func (c *contributor) bind(t *change.Table) (*binding, error) {
	if b := c.last.Load(); b != nil && b.table == t {
		return b, nil
	}
	b, err := c.newBinding(t)
	if err != nil {
		return nil, err
	}
	c.last.Store(b)
	return b, nil
}

// newBinding resolves c against table t.
func (c *contributor) newBinding(t *change.Table) (*binding, error) {
	b := &binding{table: t, idx: make([]int, len(c.refs))}
	for i, r := range c.refs {
		b.idx[i] = t.ColumnIndex(r)
		if b.idx[i] < 0 {
			return nil, fmt.Errorf("%w: column %q of %s, needed by the mapping of %s in %s, does not exist",
				ErrSchemaDrift, r, t.QualifiedName(), c.target.table.QualifiedName(), c.where())
		}
	}
	key := c.target.table.Key
	if !c.driving {
		b.cols = c.names()
		return b, nil
	}
	b.cols = c.names()
	if c.allColumns {
		named := map[string]bool{}
		for _, n := range b.cols {
			named[n] = true
		}
		for i, col := range t.Columns {
			if !named[col.Name] && !c.exclude[col.Name] {
				b.copyIdx = append(b.copyIdx, i)
				b.cols = append(b.cols, col.Name)
			}
		}
	}
	if c.softColumn != "" {
		b.cols = append(b.cols, c.softColumn)
		b.softCols = append(append(b.softCols, key...), c.softColumn)
	}
	for _, k := range key {
		at := -1
		for i, n := range b.cols {
			if n == k {
				at = i
				break
			}
		}
		if at < 0 {
			return nil, fmt.Errorf("%w: target key column %q of %s is not a column of %s (mapping in %s)",
				ErrSchemaDrift, k, c.target.table.QualifiedName(), t.QualifiedName(), c.where())
		}
		b.keyAt = append(b.keyAt, at)
	}
	return b, nil
}

// names returns the target columns named in columns:, in file order.
func (c *contributor) names() []string {
	out := make([]string, len(c.columns))
	for i, col := range c.columns {
		out[i] = col.name
	}
	return out
}

// where names the contributor's place in its mapping file.
func (c *contributor) where() string {
	return fmt.Sprintf("%s:%s", c.file, c.pos)
}
