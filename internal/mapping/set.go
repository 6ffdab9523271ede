package mapping

import (
	"path"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/change"
)

// policy is what removing a contributor's row does to the target.
type policy uint8

const (
	// policyDelete deletes the target row.
	policyDelete policy = iota + 1
	// policyIgnore leaves the target row alone.
	policyIgnore
	// policySoft marks the target row deleted in the soft-delete column.
	policySoft
	// policyClear sets the contributor's owned columns to NULL.
	policyClear
)

// policies maps the delete: names to policies.
var policies = map[string]policy{"delete": policyDelete, "ignore": policyIgnore, "soft": policySoft, "clear": policyClear}

// column is one target column and the expression that produces it.
type column struct {
	name string
	prog *program
}

// target is one compiled target table and its contributors.
type target struct {
	table        *change.TargetTable
	file         string
	pos          pos
	contributors []*contributor
	// drivers are the driving contributors, in file order.
	drivers []*contributor
	lookups []*lookupDef
	// pairs caches driverFor by source name.
	pairs sync.Map
	// ddl is the mapping's DDL policy.
	ddl DDLPolicy
}

// contributor is one compiled source entry of a mapping.
type contributor struct {
	target *target
	file   string
	pos    pos
	// sourcePat, schemaPat and tablePat are path.Match patterns.
	sourcePat, schemaPat, tablePat string
	driving                        bool
	columns                        []column
	allColumns                     bool
	exclude                        map[string]bool
	excludeList                    []string
	filter                         *program
	policy                         policy
	softColumn                     string
	softValue                      *program
	// join pairs, for a non-driving contributor, its columns with the
	// driving columns they equal.
	join []joinPair
	// owns, on a driving contributor, is the predicate its target keys
	// must satisfy; nil without one.
	owns *program
	// completion reads a non-driving contributor's columns for a driving
	// row that is written.
	completion *change.Lookup
	// synth is a driving contributor's binding to a row of its refs alone,
	// for computing keys from joined values.
	synth atomic.Pointer[binding]
	// completing caches completions by source name (driving only).
	completing sync.Map
	// refs lists every source column the expressions name, sorted.
	refs []string
	// last caches the binding to the most recent source table.
	last atomic.Pointer[binding]
}

// matches reports whether the contributor reads source's schema.table.
func (c *contributor) matches(source, schema, table string) bool {
	ok1, _ := path.Match(c.sourcePat, source)
	ok2, _ := path.Match(c.schemaPat, schema)
	ok3, _ := path.Match(c.tablePat, table)
	return ok1 && ok2 && ok3
}

// Set is a compiled collection of mappings. It is safe for concurrent use.
type Set struct {
	targets      []*target
	contributors []*contributor
	lookups      []*lookupDef

	mu struct {
		sync.RWMutex
		// matches caches the contributors reading each source table.
		matches map[matchKey][]*contributor
		// lookups caches the lookups reading each source table.
		lookups map[matchKey][]*lookupDef
	}
}

// Targets returns the target tables in load order.
func (s *Set) Targets() []*change.TargetTable {
	out := make([]*change.TargetTable, len(s.targets))
	for i, t := range s.targets {
		out[i] = t.table
	}
	return out
}

// Includes reports whether any mapping reads table schema.table of source,
// so a reader can skip the changes of unmapped tables cheaply.
func (s *Set) Includes(source, schema, table string) bool {
	return len(s.match(source, schema, table)) > 0 || len(s.lookupsOf(source, schema, table)) > 0
}

// lookupsOf returns the lookups that read source's schema.table.
func (s *Set) lookupsOf(source, schema, table string) []*lookupDef {
	if len(s.lookups) == 0 {
		return nil
	}
	k := matchKey{source, schema, table}
	s.mu.RLock()
	ls, ok := s.mu.lookups[k]
	s.mu.RUnlock()
	if ok {
		return ls
	}
	for _, l := range s.lookups {
		if l.source == source && l.lk.Schema == schema && l.lk.Table == table {
			ls = append(ls, l)
		}
	}
	s.mu.Lock()
	if s.mu.lookups == nil {
		s.mu.lookups = map[matchKey][]*lookupDef{}
	}
	s.mu.lookups[k] = ls
	s.mu.Unlock()
	return ls
}

// matchKey names a source table in match's cache; a struct rather than a
// joined string, so that a lookup allocates nothing.
type matchKey struct{ source, schema, table string }

// match returns the contributors that read source's schema.table, in load
// order, from the cache when it can.
func (s *Set) match(source, schema, table string) []*contributor {
	k := matchKey{source, schema, table}
	s.mu.RLock()
	cs, ok := s.mu.matches[k]
	s.mu.RUnlock()
	if ok {
		return cs
	}
	for _, c := range s.contributors {
		if c.matches(source, schema, table) {
			cs = append(cs, c)
		}
	}
	s.mu.Lock()
	if s.mu.matches == nil {
		s.mu.matches = map[matchKey][]*contributor{}
	}
	s.mu.matches[k] = cs
	s.mu.Unlock()
	return cs
}

// NeedsLookups reports whether applying the set's operations needs source
// queries: a target with lookups or with contributors that complete rows.
func (s *Set) NeedsLookups() bool {
	for _, t := range s.targets {
		if len(t.lookups) > 0 || len(t.contributors) > len(t.drivers) {
			return true
		}
	}
	return false
}

// Feed is a mapping that a source table feeds through a driving or
// contributing entry.
type Feed struct {
	// Target is the target table, "schema.table"; File the mapping file.
	Target, File string
}

// Feeds returns the mappings whose driving or contributing entries read
// source's schema.table, in load order: the tables a backfill copies.
// Lookups are left out: they are read whenever a row is written.
func (s *Set) Feeds(source, schema, table string) []Feed {
	var out []Feed
	for _, c := range s.match(source, schema, table) {
		f := Feed{Target: c.target.table.QualifiedName(), File: c.target.file}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Mappings returns every mapping's target and file, in load order.
func (s *Set) Mappings() []Feed {
	out := make([]Feed, len(s.targets))
	for i, t := range s.targets {
		out[i] = Feed{Target: t.table.QualifiedName(), File: t.file}
	}
	return out
}
