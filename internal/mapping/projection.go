package mapping

import "fmt"

// Projection is a mapping that only copies columns of its driving source
// table: a reader may then compare the two tables column by column,
// without running the mapping (verify's checksum fast path).
type Projection struct {
	// Columns maps target columns to the source columns they copy, for
	// the columns named in columns:.
	Columns map[string]string
	// AllColumns adds every other source column, under its own name,
	// except those in Exclude.
	AllColumns bool
	Exclude    map[string]bool
}

// Copies returns, for each target column the projection writes from a
// table of the columns srcColumns, the source column it copies.
func (p *Projection) Copies(srcColumns []string) map[string]string {
	out := make(map[string]string, len(p.Columns)+len(srcColumns))
	named := map[string]bool{}
	for t, s := range p.Columns {
		out[t] = s
		named[t] = true
	}
	if p.AllColumns {
		for _, s := range srcColumns {
			if !named[s] && !p.Exclude[s] {
				out[s] = s
			}
		}
	}
	return out
}

// Projection returns the projection of the mapping of target, or why it
// is not one: a mapping is a projection when its only entry is a driving
// one with no filter:, no owns:, no lookups, delete: delete, and every
// column a plain copy of a source column (renames allowed).
func (s *Set) Projection(target string) (*Projection, string) {
	t := s.target(target)
	switch {
	case t == nil:
		return nil, "no mapping writes " + target
	case len(t.contributors) != 1 || len(t.drivers) != 1:
		return nil, "the mapping merges several source entries"
	case len(t.lookups) > 0:
		return nil, "the mapping has lookups"
	}
	d := t.drivers[0]
	switch {
	case d.filter != nil:
		return nil, "the mapping has a filter"
	case d.owns != nil:
		return nil, "the mapping has owns:"
	case d.policy != policyDelete:
		return nil, "the mapping does not delete target rows with their source rows"
	}
	p := &Projection{Columns: map[string]string{}, AllColumns: d.allColumns, Exclude: map[string]bool{}}
	for _, c := range d.columns {
		if c.prog.kind != progColumn {
			return nil, fmt.Sprintf("target column %s is computed", c.name)
		}
		p.Columns[c.name] = c.prog.column
	}
	for x := range d.exclude {
		p.Exclude[x] = true
	}
	return p, ""
}
