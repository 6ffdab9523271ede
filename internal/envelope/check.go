package envelope

import (
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ErrInvalid is wrapped by the errors of Check.
var ErrInvalid = errors.New("invalid row change")

// Check reports why c cannot be encoded by Append, or nil: a missing table,
// an unknown operation, a missing image or one whose length differs from the
// table's column count, or a primary key or changed column index out of range.
func Check(c *change.RowChange) error {
	if c.Table == nil {
		return fmt.Errorf("%w: no table", ErrInvalid)
	}
	t := c.Table
	n := len(t.Columns)
	switch c.Op {
	case change.Insert, change.Update, change.Delete, change.Read:
	default:
		return fmt.Errorf("%w: %s: unknown operation %d", ErrInvalid, t.QualifiedName(), c.Op)
	}
	if (c.Op == change.Update || c.Op == change.Delete) && len(c.Before) != n {
		return fmt.Errorf("%w: %s %s: before image has %d values for %d columns",
			ErrInvalid, c.Op, t.QualifiedName(), len(c.Before), n)
	}
	if c.Op != change.Delete && len(c.After) != n {
		return fmt.Errorf("%w: %s %s: after image has %d values for %d columns",
			ErrInvalid, c.Op, t.QualifiedName(), len(c.After), n)
	}
	for _, col := range t.PrimaryKey {
		if col < 0 || col >= n {
			return fmt.Errorf("%w: %s: primary key column index %d out of range", ErrInvalid, t.QualifiedName(), col)
		}
	}
	if c.Op == change.Update {
		for _, col := range c.Changed {
			if col < 0 || col >= n {
				return fmt.Errorf("%w: %s: changed column index %d out of range", ErrInvalid, t.QualifiedName(), col)
			}
		}
	}
	return nil
}
