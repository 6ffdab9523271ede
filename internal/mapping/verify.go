package mapping

import (
	"slices"
	"strings"
)

// Driver describes a driving entry of a mapping for a reader that walks
// its source tables and compares what they give with the target (verify):
// which tables to read and what a target row without a source row means.
type Driver struct {
	// Source, Schema and Table are the entry's patterns (path.Match).
	Source, Schema, Table string
	// KeyColumns gives, per target key column, the source column it is a
	// plain copy of; nil when one of them is computed (an expression, a
	// metadata field), so a target key cannot be turned back into the
	// source row's.
	KeyColumns []string
	// Delete is the entry's delete policy: delete, ignore or soft.
	Delete string
	// SoftColumn is the soft-delete column under delete: soft.
	SoftColumn string
	// copies pairs target columns with the source columns they are plain
	// copies of (columns:, in file order); named lists every target
	// column columns: writes; allColumns adds every other source column
	// under its own name, except those in exclude.
	copies     [][2]string
	named      []string
	allColumns bool
	exclude    map[string]bool
}

// TargetColumn returns the target column that holds a verbatim copy of
// the source column col (a plain copy or a rename, no expression), and
// false when the entry writes none. Names match case-insensitively, as
// MySQL's column names do.
func (d Driver) TargetColumn(col string) (string, bool) {
	for _, c := range d.copies {
		if strings.EqualFold(c[1], col) {
			return c[0], true
		}
	}
	if !d.allColumns {
		return "", false
	}
	for _, t := range d.named {
		if strings.EqualFold(t, col) {
			return "", false // the name is written from something else
		}
	}
	for x := range d.exclude {
		if strings.EqualFold(x, col) {
			return "", false
		}
	}
	return col, true
}

// Drivers returns the driving entries of the mapping of target
// ("schema.table"), in file order; nil when no mapping writes it.
func (s *Set) Drivers(target string) []Driver {
	t := s.target(target)
	if t == nil {
		return nil
	}
	var out []Driver
	for _, d := range t.drivers {
		dr := Driver{Source: d.sourcePat, Schema: d.schemaPat, Table: d.tablePat, SoftColumn: d.softColumn,
			allColumns: d.allColumns, exclude: d.exclude}
		for _, c := range d.columns {
			dr.named = append(dr.named, c.name)
			if c.prog.kind == progColumn {
				dr.copies = append(dr.copies, [2]string{c.name, c.prog.column})
			}
		}
		for name, p := range policies {
			if p == d.policy {
				dr.Delete = name
			}
		}
		for _, k := range t.table.Key {
			p := d.keyProgram(k)
			if p == nil && d.allColumns && !d.exclude[k] {
				dr.KeyColumns = append(dr.KeyColumns, k) // copied under its own name
				continue
			}
			if p == nil || p.kind != progColumn {
				dr.KeyColumns = nil
				break
			}
			dr.KeyColumns = append(dr.KeyColumns, p.column)
		}
		out = append(out, dr)
	}
	return out
}

// Volatile returns the target columns of target whose values depend on
// when a change was streamed (meta.commit_time, meta.gtid) rather than on
// the source row: a row read from the source cannot say what they hold.
func (s *Set) Volatile(target string) []string {
	t := s.target(target)
	if t == nil {
		return nil
	}
	var out []string
	for _, c := range t.contributors {
		for _, col := range c.columns {
			if slices.Contains(col.prog.meta, "commit_time") || slices.Contains(col.prog.meta, "gtid") {
				out = append(out, col.name)
			}
		}
	}
	return out
}

// target returns the compiled target named schema.table.
func (s *Set) target(name string) *target {
	for _, t := range s.targets {
		if t.table.QualifiedName() == name {
			return t
		}
	}
	return nil
}
