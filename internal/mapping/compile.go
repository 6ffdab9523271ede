package mapping

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// compiler checks specs and builds a Set, reporting every problem.
type compiler struct {
	ps          *problems
	sourceNames []string
	set         *Set
	// defined maps a qualified target name to where it was first defined.
	defined map[string]string
}

// add reports a problem at p in file, prefixed with the key path.
func (c *compiler) add(file string, p pos, keyPath, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if keyPath != "" {
		msg = keyPath + ": " + msg
	}
	c.ps.add(file, p, "%s", msg)
}

// prog compiles the expression s at keyPath, reporting errors.
func (c *compiler) prog(file string, s *scalar, keyPath string, boolean bool) *program {
	p, err := compile(s.value, s.null, boolean)
	if err != nil {
		c.add(file, exprPos(s.node, err), keyPath, "%s", err.Error())
		return nil
	}
	return p
}

// splitName splits schema.table; globs reports whether patterns are allowed.
func splitName(s string, globs bool) (string, string, string) {
	schema, table, ok := strings.Cut(s, ".")
	switch {
	case !ok || schema == "" || table == "" || strings.Contains(table, "."):
		return "", "", "must be schema.table"
	case !globs && strings.ContainsAny(s, "*?[]\\"):
		return "", "", "must be a plain schema.table, without patterns"
	}
	if globs {
		for _, p := range []string{schema, table} {
			if _, err := path.Match(p, ""); err != nil {
				return "", "", fmt.Sprintf("invalid pattern %q", p)
			}
		}
	}
	return schema, table, ""
}

// mapping checks one mapping and adds its target to the set.
func (c *compiler) mapping(m *mappingSpec) {
	file := m.file
	t := &target{file: file, pos: m.pos, table: &change.TargetTable{}}
	ok := true
	if m.target == nil {
		if !m.failed["target"] {
			c.add(file, m.pos, "", "target: is required")
		}
		ok = false
	} else if schema, name, msg := splitName(m.target.value, false); msg != "" {
		c.add(file, m.target.pos, "target", "%s", msg)
		ok = false
	} else {
		t.table.Schema, t.table.Name = schema, name
		q := t.table.QualifiedName()
		if first, dup := c.defined[q]; dup {
			c.add(file, m.target.pos, "target", "%s is already defined at %s", q, first)
			ok = false
		} else {
			c.defined[q] = fmt.Sprintf("%s:%s", file, m.target.pos)
		}
	}
	switch {
	case m.keyPos == nil:
		c.add(file, m.pos, "", "key: is required")
		ok = false
	case len(m.key) == 0 && !m.failed["key"]:
		c.add(file, *m.keyPos, "key", "must list at least one column")
		ok = false
	case m.failed["key"]:
		ok = false
	}
	for _, k := range m.key {
		t.table.Key = append(t.table.Key, k.value)
	}
	t.ddl = c.ddlPolicy(m)
	switch {
	case m.srcPos == nil:
		c.add(file, m.pos, "", "sources: is required")
		return
	case len(m.sources) == 0:
		c.add(file, *m.srcPos, "sources", "must list at least one source")
		return
	}
	driving, known := c.drivers(m)
	for i, s := range m.sources {
		if ct := c.source(t, s, driving[i], known); ct != nil {
			t.contributors = append(t.contributors, ct)
			if ct.driving {
				t.drivers = append(t.drivers, ct)
			}
		} else {
			ok = false
		}
	}
	for _, l := range m.lookups {
		if ld := c.lookup(t, l); ld != nil {
			t.lookups = append(t.lookups, ld)
		} else {
			ok = false
		}
	}
	ok = c.ownership(t, m, driving, known) && ok
	ok = c.collisions(t, m, driving) && ok
	ok = c.propagation(t, m) && ok
	if len(t.drivers) > 0 {
		ok = c.joins(t, m) && ok
		ok = c.vias(t, m) && ok
	}
	if !ok {
		return
	}
	c.set.targets = append(c.set.targets, t)
	c.set.contributors = append(c.set.contributors, t.contributors...)
	c.set.lookups = append(c.set.lookups, t.lookups...)
}

// drivers decides which sources are driving and reports a mapping
// without one; known is false when none is driving.
func (c *compiler) drivers(m *mappingSpec) (driving []bool, known bool) {
	out := make([]bool, len(m.sources))
	n := 0
	for i, s := range m.sources {
		out[i] = (s.driving == nil && len(m.sources) == 1) || (s.driving != nil && *s.driving)
		if out[i] {
			n++
		}
	}
	if n == 0 {
		c.add(m.file, *m.srcPos, "sources", "no driving source: set driving: true on at least one")
	}
	return out, n > 0
}

// ownership reports target columns written by several contributors, key
// columns that the driving source does not produce and all_columns in a
// merge. It reports whether all is well.
func (c *compiler) ownership(t *target, m *mappingSpec, driving []bool, known bool) bool {
	ok := true
	owner := map[string]string{}
	ownerSpec := map[string]*sourceSpec{}
	drivers := 0
	for i := range m.sources {
		if driving[i] {
			drivers++
		}
	}
	for i, s := range m.sources {
		if s.allColumns && len(m.sources) > 1 {
			c.add(m.file, s.allPos, s.path+".all_columns", "is only allowed when the target has a single source (column ownership must be known at load time)")
			ok = false
		}
		if driving[i] && (s.hasColumns || s.allColumns) {
			ok = c.drivingKey(t, m.file, s) && ok
		}
		claim := func(name string, p pos, keyPath string) {
			if first, taken := owner[name]; taken {
				if prev := ownerSpec[name]; drivers > 1 && shards(prev, s) {
					return // the same table on another source: owns: keeps their keys apart
				}
				c.add(m.file, p, keyPath, "column %q of %s is already written by %s", name, t.table.QualifiedName(), first)
				ok = false
				return
			}
			owner[name], ownerSpec[name] = s.path, s
		}
		for _, e := range s.columns {
			if known && !driving[i] && slices.Contains(t.table.Key, e.name.value) {
				c.add(m.file, e.name.pos, e.path, "is a target key column: the driving source writes it, a non-driving source pairs with it through join:")
				ok = false
				continue
			}
			claim(e.name.value, e.name.pos, e.path)
		}
		if s.soft != nil && s.soft.column != nil && !slices.Contains(t.table.Key, s.soft.column.value) {
			claim(s.soft.column.value, s.soft.column.pos, s.path+".soft_delete.column")
		}
	}
	for _, l := range m.lookups {
		for _, lc := range l.columns {
			name := lc.name.value
			switch {
			case slices.Contains(t.table.Key, name):
				c.add(m.file, lc.name.pos, lc.path, "is a target key column: the driving source writes it")
				ok = false
			case owner[name] != "":
				c.add(m.file, lc.name.pos, lc.path, "column %q of %s is already written by %s", name, t.table.QualifiedName(), owner[name])
				ok = false
			default:
				owner[name] = l.path
			}
		}
	}
	return ok
}

// shards reports whether a and b may write the same columns: two driving
// entries, whose keys are kept apart (see collide.go), or entries reading
// the same table pattern from different sources, shards of one table.
func shards(a, b *sourceSpec) bool {
	if a == nil || b == nil {
		return false
	}
	aDriving, bDriving := a.driving != nil && *a.driving, b.driving != nil && *b.driving
	if aDriving && bDriving {
		return true
	}
	return a.table != nil && b.table != nil && a.source != nil && b.source != nil &&
		a.table.value == b.table.value && a.source.value != b.source.value && aDriving == bDriving
}

// drivingKey reports target key columns that the driving source s does not
// produce.
func (c *compiler) drivingKey(t *target, file string, s *sourceSpec) bool {
	ok := true
	for _, k := range t.table.Key {
		named := slices.ContainsFunc(s.columns, func(e entry) bool { return e.name.value == k })
		excluded := slices.ContainsFunc(s.exclude, func(x scalar) bool { return x.value == k })
		if named || (s.allColumns && !excluded) {
			continue
		}
		c.add(file, s.pos, s.path, "target key column %q is not produced by this driving source", k)
		ok = false
	}
	return ok
}
