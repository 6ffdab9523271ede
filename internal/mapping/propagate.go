package mapping

import (
	"path"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Propagation.
//
// Under ddl: propagate a TRUNCATE, DROP or RENAME (out of the mapped name)
// of a table that an entry reads removes what the table fed, as the
// entry's delete: policy removes what one row fed:
//
//   - the driving entry's table (delete: delete): every target row goes
//     (change.TruncateTarget). A target row exists only for a driving row,
//     so with a single driving entry that reads one table of one source
//     every row is that table's;
//   - a non-driving entry's table (delete: clear): its columns are set to
//     NULL in every target row (change.ClearColumns);
//   - a lookup's table: its columns are set to what a lookup that finds no
//     row gives: NULL, or [] for an array;
//   - delete: ignore keeps the target as it is.
//
// What one entry fed must be told apart from what others fed, so the
// mapping is refused at load time when it has several driving entries
// (each owns some keys: deleting only those would take its owns: or key
// as SQL), an entry whose source, schema or table is a pattern matching
// several (a statement on one would clear what the others feed), or a
// soft-deleting driving entry (marking every row deleted would take its
// soft_delete value for rows the statement does not name).

// propagation checks that the mapping t, under ddl: propagate, can carry
// statements over; false when it reported a problem.
func (c *compiler) propagation(t *target, m *mappingSpec) bool {
	if t.ddl != DDLPropagate {
		return true
	}
	file := m.file
	ok := true
	if len(t.drivers) > 1 {
		var at []string
		for _, d := range t.drivers {
			at = append(at, d.where())
		}
		c.add(file, m.ddl.pos, "ddl", "propagate needs a single driving entry, and %s has %d (%s): "+
			"a TRUNCATE or DROP of one driving table must delete only the rows that entry owns, and telling them apart "+
			"would take its owns: or key as SQL, which is not supported; use ddl: halt or ignore",
			t.table.QualifiedName(), len(t.drivers), strings.Join(at, ", "))
		ok = false
	}
	for _, s := range m.sources {
		if s.source != nil && c.several(s.source.value) {
			c.add(file, s.source.pos, s.path+".source", "%q matches several sources, and ddl: propagate needs every entry "+
				"to read one table of one source: a statement on one table would clear what the others feed", s.source.value)
			ok = false
		}
		if s.table != nil && strings.ContainsAny(s.table.value, "*?[\\") {
			c.add(file, s.table.pos, s.path+".table", "%q is a pattern, and ddl: propagate needs every entry "+
				"to read one table of one source: a statement on one table would clear what the others feed", s.table.value)
			ok = false
		}
	}
	for _, d := range t.drivers {
		if d.policy == policySoft {
			c.add(file, d.pos, "", "ddl: propagate cannot carry a TRUNCATE or DROP of a soft-deleting driving table over "+
				"(delete: soft): use delete: delete or ignore, or ddl: halt")
			ok = false
		}
	}
	return ok
}

// several reports whether the source pattern p can match more than one
// source: any pattern without the configured names, else more than one of
// them.
func (c *compiler) several(p string) bool {
	if c.sourceNames == nil {
		return strings.ContainsAny(p, "*?[\\")
	}
	n := 0
	for _, name := range c.sourceNames {
		if ok, _ := path.Match(p, name); ok {
			n++
		}
	}
	return n > 1
}

// propagate returns the operations that remove what c's table fed, by
// its delete policy.
func (c *contributor) propagate() []change.TargetOp {
	t := c.target.table
	switch c.policy {
	case policyDelete:
		return []change.TargetOp{{Target: t, Kind: change.TruncateTarget, Change: -1}}
	case policyClear:
		cols := c.names()
		return []change.TargetOp{{Target: t, Kind: change.ClearColumns, Columns: cols, Values: make([]change.Value, len(cols)), Change: -1}}
	}
	return nil
}

// propagate returns the operation that sets l's columns to what a lookup
// that finds no row gives.
func (l *lookupDef) propagate() []change.TargetOp {
	vals := make([]change.Value, len(l.lk.Columns))
	if l.lk.Array {
		for i := range vals {
			vals[i] = change.JSON("[]")
		}
	}
	return []change.TargetOp{{Target: l.target.table, Kind: change.ClearColumns, Columns: l.lk.Columns, Values: vals, Change: -1}}
}

// DDLOps returns the target operations of notices, in order.
func DDLOps(notices []DDLNotice) []change.TargetOp {
	var ops []change.TargetOp
	for _, n := range notices {
		ops = append(ops, n.Ops...)
	}
	return ops
}
