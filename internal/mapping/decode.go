package mapping

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// decoder turns YAML nodes into specs, reporting every shape problem.
type decoder struct {
	file string
	ps   *problems
}

// add reports a problem at n.
func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.ps.add(d.file, at(n), "%s", msg)
}

// resolve follows aliases to the anchored node, a bounded number of hops.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// document decodes the top node of one YAML document: a mapping or a list
// of mappings.
func (d *decoder) document(doc *yaml.Node) []*mappingSpec {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := resolve(doc.Content[0])
	switch root.Kind {
	case yaml.MappingNode:
		return []*mappingSpec{d.mapping(root, "")}
	case yaml.SequenceNode:
		var out []*mappingSpec
		for i, n := range root.Content {
			n = resolve(n)
			path := fmt.Sprintf("[%d]", i)
			if n.Kind != yaml.MappingNode {
				d.add(n, path, "must be a mapping")
				continue
			}
			out = append(out, d.mapping(n, path))
		}
		return out
	}
	d.add(root, "", "must be a mapping or a list of mappings")
	return nil
}

// fields walks mapping n, calling the handler named by each key and
// reporting unknown and repeated keys. It reports whether n is a mapping.
//
// A key whose handler reported a problem is recorded in failed, when not
// nil, so that later checks do not report it a second time.
func (d *decoder) fields(n *yaml.Node, path string, failed map[string]bool, handlers map[string]func(*yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "must be a mapping")
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		h, known := handlers[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k, path, "keys must be plain names")
		case !known:
			d.add(k, path, "unknown key %q", k.Value)
		case seen[k.Value]:
			d.add(k, join(path, k.Value), "duplicate key")
		default:
			seen[k.Value] = true
			before := len(d.ps.list)
			h(v)
			if failed != nil && len(d.ps.list) > before {
				failed[k.Value] = true
			}
		}
	}
	return true
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping decodes one mapping.
func (d *decoder) mapping(n *yaml.Node, path string) *mappingSpec {
	m := &mappingSpec{file: d.file, pos: at(n), failed: map[string]bool{}}
	d.fields(n, path, m.failed, map[string]func(*yaml.Node){
		"target": func(v *yaml.Node) { m.target = d.str(v, join(path, "target")) },
		"ddl":    func(v *yaml.Node) { m.ddl = d.str(v, join(path, "ddl")) },
		"key": func(v *yaml.Node) {
			p := at(v)
			m.keyPos = &p
			m.key = d.names(v, join(path, "key"))
		},
		"sources": func(v *yaml.Node) {
			p := at(v)
			m.srcPos = &p
			if v.Kind != yaml.SequenceNode {
				d.add(v, join(path, "sources"), "must be a list")
				return
			}
			for i, s := range v.Content {
				if src := d.source(resolve(s), fmt.Sprintf("%s[%d]", join(path, "sources"), i)); src != nil {
					m.sources = append(m.sources, src)
				}
			}
		},
		"lookups": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.add(v, join(path, "lookups"), "must be a list")
				return
			}
			for i, l := range v.Content {
				if lk := d.lookup(resolve(l), fmt.Sprintf("%s[%d]", join(path, "lookups"), i)); lk != nil {
					m.lookups = append(m.lookups, lk)
				}
			}
		},
	})
	return m
}

// lookup decodes one lookup.
func (d *decoder) lookup(n *yaml.Node, path string) *lookupSpec {
	l := &lookupSpec{path: path, pos: at(n), failed: map[string]bool{}}
	ok := d.fields(n, path, l.failed, map[string]func(*yaml.Node){
		"source": func(v *yaml.Node) { l.source = d.str(v, join(path, "source")) },
		"table":  func(v *yaml.Node) { l.table = d.str(v, join(path, "table")) },
		"match": func(v *yaml.Node) {
			p := at(v)
			l.matchPos = &p
			l.match = d.entries(v, join(path, "match"))
		},
		"columns": func(v *yaml.Node) {
			p := at(v)
			l.colPos = &p
			l.columns = d.lookupColumns(v, join(path, "columns"))
		},
	})
	if !ok {
		return nil
	}
	return l
}

// lookupColumns decodes the columns of a lookup: target column -> looked-up
// column, or -> {json_array: column, order_by: [columns]}.
func (d *decoder) lookupColumns(n *yaml.Node, path string) []lookupColumn {
	var out []lookupColumn
	d.columnMap(n, path, "must be a mapping of target columns to looked-up columns", func(name scalar, v *yaml.Node, p string) {
		lc := lookupColumn{path: p, name: name}
		if v.Kind != yaml.MappingNode {
			if lc.column = d.str(v, p); lc.column != nil {
				out = append(out, lc)
			}
			return
		}
		lc.array = true
		if !d.fields(v, p, nil, map[string]func(*yaml.Node){
			"json_array": func(v *yaml.Node) { lc.column = d.str(v, join(p, "json_array")) },
			"order_by":   func(v *yaml.Node) { lc.orderBy = d.names(v, join(p, "order_by")) },
		}) {
			return
		}
		if lc.column == nil {
			d.add(v, p, "json_array: is required")
			return
		}
		out = append(out, lc)
	})
	return out
}

// source decodes one contributing source.
func (d *decoder) source(n *yaml.Node, path string) *sourceSpec {
	s := &sourceSpec{path: path, pos: at(n), failed: map[string]bool{}}
	ok := d.fields(n, path, s.failed, map[string]func(*yaml.Node){
		"source": func(v *yaml.Node) { s.source = d.str(v, join(path, "source")) },
		"table":  func(v *yaml.Node) { s.table = d.str(v, join(path, "table")) },
		"driving": func(v *yaml.Node) {
			if b, ok := d.boolean(v, join(path, "driving")); ok {
				s.driving, s.drivingPos = &b, at(v)
			}
		},
		"columns": func(v *yaml.Node) {
			s.hasColumns = true
			s.columns = d.entries(v, join(path, "columns"))
		},
		"all_columns": func(v *yaml.Node) {
			s.allColumns, _ = d.boolean(v, join(path, "all_columns"))
			s.allPos = at(v)
		},
		"exclude": func(v *yaml.Node) {
			p := at(v)
			s.excludePos = &p
			s.exclude = d.names(v, join(path, "exclude"))
		},
		"filter": func(v *yaml.Node) { s.filter = d.expr(v, join(path, "filter")) },
		"delete": func(v *yaml.Node) { s.delete = d.str(v, join(path, "delete")) },
		"soft_delete": func(v *yaml.Node) {
			sd := &softSpec{pos: at(v)}
			sp := join(path, "soft_delete")
			if d.fields(v, sp, nil, map[string]func(*yaml.Node){
				"column": func(v *yaml.Node) { sd.column = d.str(v, join(sp, "column")) },
				"value":  func(v *yaml.Node) { sd.value = d.expr(v, join(sp, "value")) },
			}) {
				s.soft = sd
			}
		},
		"join": func(v *yaml.Node) {
			p := at(v)
			s.joinPos = &p
			s.join = d.entries(v, join(path, "join"))
		},
		"owns": func(v *yaml.Node) { s.owns = d.expr(v, join(path, "owns")) },
	})
	if !ok {
		return nil
	}
	return s
}

// str decodes a non-empty string scalar.
func (d *decoder) str(n *yaml.Node, path string) *scalar {
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "must be a string")
		return nil
	}
	if n.ShortTag() == "!!null" || n.Value == "" {
		d.add(n, path, "must not be empty")
		return nil
	}
	return &scalar{value: n.Value, node: n, pos: at(n)}
}

// expr decodes an expression: any scalar, YAML null meaning NULL.
func (d *decoder) expr(n *yaml.Node, path string) *scalar {
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "must be an expression (a scalar)")
		return nil
	}
	return &scalar{value: n.Value, null: n.ShortTag() == "!!null", node: n, pos: at(n)}
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.add(n, path, "must be true or false")
		return false, false
	}
	return b, true
}

// names decodes a list of distinct non-empty names.
func (d *decoder) names(n *yaml.Node, path string) []scalar {
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, "must be a list of names")
		return nil
	}
	var out []scalar
	seen := map[string]bool{}
	for i, item := range n.Content {
		item = resolve(item)
		s := d.str(item, fmt.Sprintf("%s[%d]", path, i))
		if s == nil {
			continue
		}
		if seen[s.value] {
			d.add(item, fmt.Sprintf("%s[%d]", path, i), "duplicate name %q", s.value)
			continue
		}
		seen[s.value] = true
		out = append(out, *s)
	}
	return out
}

// entries decodes a mapping of names to expressions, in file order.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	var out []entry
	d.columnMap(n, path, "must be a mapping of column names to expressions", func(name scalar, v *yaml.Node, p string) {
		if e := d.expr(v, p); e != nil {
			out = append(out, entry{path: p, name: name, expr: *e})
		}
	})
	return out
}

// columnMap walks a mapping keyed by column names in file order, reporting
// keys that are not non-empty names and repeated keys, and calls fn with
// each good key, its value and its key path.
func (d *decoder) columnMap(n *yaml.Node, path, notMapping string, fn func(name scalar, v *yaml.Node, p string)) {
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "%s", notMapping)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" || k.ShortTag() == "!!null" {
			d.add(k, path, "column names must be non-empty strings")
			continue
		}
		p := join(path, k.Value)
		if seen[k.Value] {
			d.add(k, p, "duplicate key")
			continue
		}
		seen[k.Value] = true
		fn(scalar{value: k.Value, node: k, pos: at(k)}, v, p)
	}
}
