package mapping

import (
	"path"
	"slices"
	"sort"
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

// sourceKey checks and compiles the key: of a non-driving source.
func (c *compiler) sourceKey(ct *contributor, s *sourceSpec, driving, known bool) bool {
	file := ct.file
	if driving {
		if s.keyPos != nil {
			c.add(file, *s.keyPos, s.path+".key", "is only for non-driving sources: the driving source's columns produce the target key")
			return false
		}
		return true
	}
	if s.keyPos == nil {
		if !known {
			return false
		}
		c.add(file, s.pos, s.path, "key: is required on a non-driving source (target key column: expression)")
		return false
	}
	ok := true
	byName := map[string]*program{}
	for _, e := range s.key {
		if !slices.Contains(ct.target.table.Key, e.name.value) {
			c.add(file, e.name.pos, e.path, "is not a target key column")
			ok = false
			continue
		}
		p := c.prog(file, &e.expr, e.path, false)
		if p == nil {
			ok = false
			continue
		}
		byName[e.name.value] = p
	}
	for _, k := range ct.target.table.Key {
		p, found := byName[k]
		if !found {
			if ok {
				c.add(file, *s.keyPos, s.path+".key", "misses target key column %q", k)
			}
			ok = false
			continue
		}
		ct.keyProgs = append(ct.keyProgs, p)
	}
	return ok
}

// collectRefs returns every source column the contributor's expressions
// name, sorted, and points each column-copy program at its entry.
func collectRefs(ct *contributor) []string {
	progs := []*program{ct.filter, ct.softValue}
	for _, col := range ct.columns {
		progs = append(progs, col.prog)
	}
	progs = append(progs, ct.keyProgs...)
	seen := map[string]bool{}
	var refs []string
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
