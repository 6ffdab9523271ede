package mapping

import (
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Apply appends to txn.Ops the target operations derived from
// txn.Changes, in change order, each with the index of its change. On error
// txn.Ops is left as it was. Errors name the mapping, the target, what was
// being computed and the change's place in the source, never row values.
func (s *Set) Apply(txn *change.Txn) error {
	ops := txn.Ops
	var m *metadata // shared by the changes of one table in a row; never changed once made
	for i := range txn.Changes {
		ch := &txn.Changes[i]
		if ch.Table == nil {
			return fmt.Errorf("applying mappings to change %d of %s: %w", i, describe(txn), errors.New("change has no table"))
		}
		cs := s.match(txn.Source, ch.Table.Schema, ch.Table.Name)
		ls := s.lookupsOf(txn.Source, ch.Table.Schema, ch.Table.Name)
		if len(cs) == 0 && len(ls) == 0 {
			continue
		}
		if ops == nil {
			// Most changes make one operation: room for the rest of them at
			// once rather than growing the slice change by change.
			ops = make([]change.TargetOp, 0, len(txn.Changes)-i)
		}
		if m == nil || m.Schema != ch.Table.Schema || m.Table != ch.Table.Name {
			m = &metadata{Source: txn.Source, Schema: ch.Table.Schema, Table: ch.Table.Name, CommitTime: txn.CommitTime, GTID: txn.GTID}
		}
		for _, c := range cs {
			start := len(ops)
			d := c
			if !c.driving {
				d = c.target.driverFor(txn.Source)
			}
			var err error
			if d == nil {
				err = fmt.Errorf("no driving source pairs with source %s: name it in a driving entry or keep a single driving source", txn.Source)
			} else if ops, err = c.apply(ops, i, ch, m, d); err == nil {
				ops, err = c.target.guard(ops, start, d, txn.Source)
			}
			if err != nil {
				return fmt.Errorf("applying mapping %s of %s to %s change %d of %s: %w",
					c.where(), c.target.table.QualifiedName(), ch.Op, i, describe(txn), err)
			}
		}
		for _, l := range ls {
			var err error
			if ops, err = l.apply(ops, i, ch); err != nil {
				return fmt.Errorf("applying lookup %s of %s to %s change %d of %s: %w",
					l.where(), l.target.table.QualifiedName(), ch.Op, i, describe(txn), err)
			}
		}
	}
	txn.Ops = ops
	return nil
}

// describe names a transaction by its place in the source.
func describe(txn *change.Txn) string {
	s := fmt.Sprintf("source %s transaction seq %d part %d at %s", txn.Source, txn.Seq, txn.Part, txn.Begin)
	if txn.GTID != "" {
		s += " gtid " + txn.GTID
	}
	return s
}

// image prepares the evaluation of row, checking its shape; d is the
// driving contributor that computes a non-driving row's key.
//
// It returns the image by value, for the caller to keep on its stack: the
// functions it is handed to keep nothing of it.
func (c *contributor) image(b *binding, row change.Row, m *metadata, d *contributor, which string) (image, error) {
	if row == nil {
		return image{}, fmt.Errorf("reading %s image: missing", which)
	}
	if len(row) != len(b.table.Columns) {
		return image{}, fmt.Errorf("reading %s image: %d values for %d columns", which, len(row), len(b.table.Columns))
	}
	return image{c: c, b: b, row: row, m: m, pair: d}, nil
}

// apply appends the operations that change i, ch, gives for c.
// d is c itself when driving, else the driving contributor c pairs with.
func (c *contributor) apply(ops []change.TargetOp, i int, ch *change.RowChange, m *metadata, d *contributor) ([]change.TargetOp, error) {
	b, err := c.bind(ch.Table)
	if err != nil {
		return ops, err
	}
	switch ch.Op {
	case change.Insert, change.Read:
		// A row a backfill read is written as an insert is: an upsert of
		// the columns the entry owns (a contributor's UpdateRow into a
		// row that exists).
		after, err := c.image(b, ch.After, m, d, "after")
		if err != nil {
			return ops, err
		}
		if ok, err := after.matches(); err != nil || !ok {
			return ops, err
		}
		return c.upsert(ops, i, &after)
	case change.Delete:
		before, err := c.image(b, ch.Before, m, d, "before")
		if err != nil {
			return ops, err
		}
		if ok, err := before.matches(); err != nil || !ok {
			return ops, err
		}
		return c.remove(ops, i, &before)
	case change.Update:
		return c.update(ops, i, ch, b, m, d)
	}
	return ops, fmt.Errorf("reading change: unknown operation %d", ch.Op)
}

// update handles key changes and filter transitions of an update.
func (c *contributor) update(ops []change.TargetOp, i int, ch *change.RowChange, b *binding, m *metadata, d *contributor) ([]change.TargetOp, error) {
	before, err := c.image(b, ch.Before, m, d, "before")
	if err != nil {
		return ops, err
	}
	after, err := c.image(b, ch.After, m, d, "after")
	if err != nil {
		return ops, err
	}
	was, err := before.matches()
	if err != nil {
		return ops, err
	}
	is, err := after.matches()
	if err != nil {
		return ops, err
	}
	switch {
	case was && is:
		oldKey, err := before.key()
		if err != nil {
			return ops, err
		}
		newKey, err := after.keyAndRoom()
		if err != nil {
			return ops, err
		}
		if oldKey != nil && (newKey == nil || !equalKeys(oldKey, newKey)) {
			if ops, err = c.removeKey(ops, i, &before, oldKey); err != nil {
				return ops, err
			}
		}
		if newKey == nil {
			return ops, nil // a non-driving row that pairs with no row now
		}
		return c.upsertKey(ops, i, &after, newKey)
	case was:
		return c.remove(ops, i, &before)
	case is:
		return c.upsert(ops, i, &after)
	}
	return ops, nil
}

// equalKeys reports whether two keys hold the same values.
func equalKeys(a, b []change.Value) bool {
	for i := range a {
		if !change.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// upsert appends the Upsert of im's row.
func (c *contributor) upsert(ops []change.TargetOp, i int, im *image) ([]change.TargetOp, error) {
	key, err := im.keyAndRoom()
	if err != nil || key == nil {
		return ops, err
	}
	return c.upsertKey(ops, i, im, key)
}

// upsertKey appends the write of im's row, whose key is computed: for a
// driving row an Upsert completed by its lookups, for a non-driving row an
// UpdateRow of its columns (see merge.go).
func (c *contributor) upsertKey(ops []change.TargetOp, i int, im *image, key []change.Value) ([]change.TargetOp, error) {
	vals, err := im.values()
	if err != nil {
		return ops, err
	}
	if !c.driving {
		return append(ops, change.TargetOp{Target: c.target.table, Kind: change.UpdateRow, Key: key, Columns: im.b.cols, Values: vals, Change: i}), nil
	}
	op := change.TargetOp{Target: c.target.table, Kind: change.Upsert, Key: key, Columns: im.b.cols, Values: vals, Change: i}
	if len(c.target.contributors) > 1 || len(c.target.lookups) > 0 {
		op.Pending = c.pending(im, im.m.Source, im.b.cols, vals)
	}
	return append(ops, op), nil
}

// remove appends what the delete policy does when im's row goes away.
func (c *contributor) remove(ops []change.TargetOp, i int, im *image) ([]change.TargetOp, error) {
	if c.policy == policyIgnore {
		return ops, nil
	}
	key, err := im.key()
	if err != nil || key == nil {
		return ops, err
	}
	return c.removeKey(ops, i, im, key)
}

// removeKey appends what the delete policy does to the target row key.
func (c *contributor) removeKey(ops []change.TargetOp, i int, im *image, key []change.Value) ([]change.TargetOp, error) {
	t := c.target.table
	switch c.policy {
	case policyDelete:
		return append(ops, change.TargetOp{Target: t, Kind: change.DeleteRow, Key: key, Change: i}), nil
	case policySoft:
		v, err := im.eval(c.softValue)
		if err != nil {
			return ops, &evalError{"soft_delete value", err}
		}
		vals := append(append(make([]change.Value, 0, len(key)+1), key...), v)
		return append(ops, change.TargetOp{Target: t, Kind: change.Upsert, Key: key, Columns: im.b.softCols, Values: vals, Change: i}), nil
	case policyClear:
		vals := make([]change.Value, len(im.b.cols))
		return append(ops, change.TargetOp{Target: t, Kind: change.UpdateRow, Key: key, Columns: im.b.cols, Values: vals, Change: i}), nil
	}
	return ops, nil
}
