package mapping

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Requirement is what one source entry of a mapping reads from its source
// tables and writes to its target, for checks against live schemas.
type Requirement struct {
	// File, Line and Column locate the source entry in its mapping file.
	File         string
	Line, Column int
	// Target is the target table written.
	Target *change.TargetTable
	// Source, Schema and Table are the patterns naming the source tables.
	Source, Schema, Table string
	// Driving reports whether the entry decides whether target rows exist.
	Driving bool
	// Lookup reports an entry of lookups: rather than of sources:.
	Lookup bool
	// Columns lists the source columns its expressions name, sorted.
	Columns []string
	// AllColumns reports that every source column not in Exclude is also
	// copied under its own name.
	AllColumns bool
	Exclude    []string
	// Written lists the target columns written, the key included; with
	// AllColumns the copied source columns come on top.
	Written []string
	// Searches are the equality searches of source tables the entry makes
	// at run time.
	Searches []Search
}

// Search is an equality search of source tables that a mapping runs while
// streaming: a lookup's read, a joined entry's completion of a driving
// row, or the search for the target rows a change to a looked-up row
// re-derives. Each runs once per batch of changes, under shared locks.
type Search struct {
	// Source, Schema and Table are the patterns naming the searched tables.
	Source, Schema, Table string
	// Columns are the columns compared with the search's values.
	Columns []string
	// Purpose says what the search is for, as the subject of a sentence.
	Purpose string
}

// Requirements lists one Requirement per source entry, in load order, then
// one per lookup.
func (s *Set) Requirements() []Requirement {
	out := make([]Requirement, 0, len(s.contributors))
	for _, c := range s.contributors {
		r := Requirement{
			File: c.file, Line: c.pos.line, Column: c.pos.col,
			Target: c.target.table, Source: c.sourcePat, Schema: c.schemaPat, Table: c.tablePat,
			Driving: c.driving, Columns: append([]string(nil), c.refs...),
			AllColumns: c.allColumns, Exclude: append([]string(nil), c.excludeList...),
		}
		r.Written = append(r.Written, c.names()...)
		if c.softColumn != "" {
			r.Written = append(r.Written, c.softColumn)
		}
		if c.completion != nil {
			r.Searches = append(r.Searches, Search{Source: c.sourcePat, Schema: c.schemaPat, Table: c.tablePat,
				Columns: slices.Clone(c.completion.Match), Purpose: "completing each driving row with this entry's columns"})
		}
		out = append(out, r)
	}
	for _, l := range s.lookups {
		cols := append(append(append([]string(nil), l.lk.Match...), l.lk.Select...), l.lk.OrderBy...)
		slices.Sort(cols)
		r := Requirement{
			File: l.file, Line: l.pos.line, Column: l.pos.col, Target: l.target.table,
			Source: l.source, Schema: l.lk.Schema, Table: l.lk.Table, Lookup: true,
			Columns: slices.Compact(cols), Written: append([]string(nil), l.lk.Columns...),
			Searches: []Search{{Source: l.source, Schema: l.lk.Schema, Table: l.lk.Table,
				Columns: slices.Clone(l.lk.Match), Purpose: "reading this lookup"}},
		}
		if v := l.lk.Via; v != nil {
			r.Searches = append(r.Searches, Search{Source: v.Source, Schema: v.Schema, Table: v.Table,
				Columns: slices.Clone(v.Cond), Purpose: "finding the target rows that a change to a looked-up row re-derives"})
		}
		out = append(out, r)
	}
	return out
}
