package mapping

import (
	"path"
	"slices"
)

// LookupSources returns, by target table ("schema.table"), the sources
// its operations may query right before they are written: those of its
// lookups and of the contributors that complete its driving rows, whose
// patterns are matched against sourceNames. Each list is sorted; targets
// whose operations query no source are left out. The table sink keeps the
// targets that wait for a source apart from those that do not (see
// internal/sink/mysql lanes.go).
func (s *Set) LookupSources(sourceNames []string) map[string][]string {
	out := map[string][]string{}
	for _, t := range s.targets {
		var srcs []string
		for _, l := range t.lookups {
			srcs = append(srcs, l.source)
		}
		for _, ct := range t.contributors {
			if ct.driving || ct.completion == nil {
				continue
			}
			if lit := literal(ct.sourcePat); lit != "" {
				srcs = append(srcs, lit)
				continue
			}
			for _, name := range sourceNames {
				if ok, _ := path.Match(ct.sourcePat, name); ok {
					srcs = append(srcs, name)
				}
			}
		}
		if len(srcs) == 0 {
			continue
		}
		slices.Sort(srcs)
		out[t.table.QualifiedName()] = slices.Compact(srcs)
	}
	return out
}
