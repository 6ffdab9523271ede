package mapping

import (
	"path"
	"slices"
	"sort"
	"unicode"
)

// source checks one contributing source and compiles it; nil when it has
// problems.
// known is false when the mapping has no driving source, so that checks
// that depend on the role stay quiet.
func (c *compiler) source(t *target, s *sourceSpec, driving, known bool) *contributor {
	file := t.file
	ct := &contributor{target: t, file: file, pos: s.pos, driving: driving, allColumns: s.allColumns}
	ok := true
	bad := func(p pos, keyPath, format string, args ...any) {
		c.add(file, p, keyPath, format, args...)
		ok = false
	}
	if s.source == nil {
		bad(s.pos, s.path, "source: is required")
	} else if _, err := path.Match(s.source.value, ""); err != nil {
		bad(s.source.pos, s.path+".source", "invalid pattern %q", s.source.value)
	} else if c.sourceNames != nil && !slices.ContainsFunc(c.sourceNames, func(n string) bool {
		m, _ := path.Match(s.source.value, n)
		return m
	}) {
		bad(s.source.pos, s.path+".source", "%q matches no configured source", s.source.value)
	} else {
		ct.sourcePat = s.source.value
	}
	if s.table == nil {
		bad(s.pos, s.path, "table: is required")
	} else if schema, table, msg := splitName(s.table.value, true); msg != "" {
		bad(s.table.pos, s.path+".table", "%s", msg)
	} else {
		ct.schemaPat, ct.tablePat = schema, table
	}

	if !s.hasColumns && !s.allColumns {
		if !s.failed["all_columns"] {
			bad(s.pos, s.path, "columns: is required (or all_columns: true)")
		}
	} else if len(s.columns) == 0 && !s.allColumns && !s.failed["columns"] {
		bad(s.pos, s.path+".columns", "must name at least one column")
	}
	if s.excludePos != nil && !s.allColumns && !s.failed["exclude"] {
		bad(*s.excludePos, s.path+".exclude", "is only allowed with all_columns: true")
	}
	if s.allColumns && !driving && known {
		bad(s.allPos, s.path+".all_columns", "is only allowed on the driving source")
	}
	ct.exclude = map[string]bool{}
	for _, x := range s.exclude {
		ct.exclude[x.value] = true
		ct.excludeList = append(ct.excludeList, x.value)
	}
	for _, e := range s.columns {
		if p := c.prog(file, &e.expr, e.path, false); p != nil {
			ct.columns = append(ct.columns, column{name: e.name.value, prog: p})
		} else {
			ok = false
		}
	}
	if s.filter != nil {
		if ct.filter = c.prog(file, s.filter, s.path+".filter", true); ct.filter == nil {
			ok = false
		}
	}
	ok = c.policy(ct, s, driving) && ok
	ok = c.sourceKey(ct, s, driving, known) && ok
	ok = len(s.failed) == 0 && ok
	if !ok {
		return nil
	}
	ct.refs = collectRefs(ct)
	return ct
}

// policy checks delete and soft_delete.
func (c *compiler) policy(ct *contributor, s *sourceSpec, driving bool) bool {
	file := ct.file
	ok := true
	ct.policy = policyDelete
	if !driving {
		ct.policy = policyClear
	}
	if s.delete != nil {
		p, known := policies[s.delete.value]
		switch {
		case !known && driving:
			c.add(file, s.delete.pos, s.path+".delete", "must be one of delete, ignore, soft")
			ok = false
		case !known || (!driving && p != policyClear && p != policyIgnore):
			c.add(file, s.delete.pos, s.path+".delete", "must be clear or ignore on a non-driving source")
			ok = false
		case driving && p == policyClear:
			c.add(file, s.delete.pos, s.path+".delete", "clear is only for non-driving sources (use delete, ignore or soft)")
			ok = false
		default:
			ct.policy = p
		}
	}
	switch {
	case ct.policy == policySoft && s.soft == nil:
		c.add(file, s.delete.pos, s.path+".delete", "soft needs soft_delete: {column: ...}")
		return false
	case ct.policy != policySoft && s.soft != nil:
		if ok {
			c.add(file, s.soft.pos, s.path+".soft_delete", "is only allowed with delete: soft")
		}
		return false
	case s.soft == nil:
		return ok
	}
	if s.soft.column == nil {
		c.add(file, s.soft.pos, s.path+".soft_delete", "column: is required")
		return false
	}
	ct.softColumn = s.soft.column.value
	if slices.Contains(ct.target.table.Key, ct.softColumn) {
		c.add(file, s.soft.column.pos, s.path+".soft_delete.column", "must not be a target key column")
		ok = false
	}
	value := s.soft.value
	if value == nil {
		value = &scalar{value: "meta.commit_time", node: s.soft.column.node}
	}
	if ct.softValue = c.prog(file, value, s.path+".soft_delete.value", false); ct.softValue == nil {
		ok = false
	}
	return ok
}

// sourceKey checks join: and owns:, which depend on the role.
func (c *compiler) sourceKey(ct *contributor, s *sourceSpec, driving, known bool) bool {
	file := ct.file
	ok := true
	if s.owns != nil {
		switch {
		case !driving && known:
			c.add(file, s.owns.pos, s.path+".owns", "is only for driving sources: their keys decide which rows exist")
			ok = false
		case driving:
			if ct.owns = c.prog(file, s.owns, s.path+".owns", true); ct.owns == nil {
				ok = false
			} else {
				for _, r := range ct.owns.refs {
					if !slices.Contains(ct.target.table.Key, r) {
						c.add(file, s.owns.pos, s.path+".owns", "names %q, which is not a target key column", r)
						ok = false
					}
				}
			}
		}
	}
	if driving {
		if s.joinPos != nil {
			c.add(file, *s.joinPos, s.path+".join", "is only for non-driving sources: the driving source's columns produce the target key")
			return false
		}
		return ok
	}
	if s.joinPos == nil {
		if !known {
			return false
		}
		c.add(file, s.pos, s.path, "join: is required on a non-driving source (its column: the driving source column it equals)")
		return false
	}
	if len(s.join) == 0 && !s.failed["join"] {
		c.add(file, *s.joinPos, s.path+".join", "must pair at least one column")
		return false
	}
	for _, e := range s.join {
		if !plainName(e.name.value) {
			c.add(file, e.name.pos, e.path, "must be a column name of this source")
			ok = false
			continue
		}
		if !plainName(e.expr.value) || e.expr.null {
			c.add(file, e.expr.pos, e.path, "must be a column name of the driving source")
			ok = false
			continue
		}
		ct.join = append(ct.join, joinPair{own: e.name.value, driving: e.expr.value})
	}
	return ok
}

// plainName reports whether s can name a column in an expression: a
// letter or underscore, then letters, digits or underscores.
func plainName(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != "" && s != metaName
}

// collectRefs returns every source column the contributor's expressions
// name, sorted, and points each column-copy program at its entry.
// extra names further columns to read: joined columns.
func collectRefs(ct *contributor, extra ...string) []string {
	progs := []*program{ct.filter, ct.softValue}
	for _, col := range ct.columns {
		progs = append(progs, col.prog)
	}
	seen := map[string]bool{}
	var refs []string
	for _, r := range extra {
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	for _, p := range progs {
		if p == nil {
			continue
		}
		for _, r := range p.refs {
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
	}
	sort.Strings(refs)
	for _, p := range progs {
		if p != nil && p.kind == progColumn {
			p.ref = sort.SearchStrings(refs, p.column)
		}
	}
	return refs
}
