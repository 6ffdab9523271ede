package livecheck

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/tributary-cdc/tributary/internal/mapping"
)

// Check compares the requirements of compiled mappings with the live
// schemas of sources (by configured source name) and of target, and
// returns every problem found, sorted; nil when there is none. A nil target
// skips the checks of target tables. The error reports a failed query, not
// a problem with the mappings.
func Check(ctx context.Context, reqs []mapping.Requirement, sources map[string]*sql.DB, target *sql.DB) (Problems, error) {
	c := &checker{
		sources: map[string]*catalog{},
		files:   map[string]map[place][]entry{},
		targets: map[string]bool{},
	}
	for name, db := range sources {
		c.sources[name] = newCatalog(db)
	}
	if target != nil {
		c.target = newCatalog(target)
	}
	for _, r := range reqs {
		if err := c.requirement(ctx, r); err != nil {
			return nil, err
		}
	}
	sortProblems(c.ps)
	return c.ps, nil
}

// checker gathers problems across requirements.
type checker struct {
	sources map[string]*catalog
	target  *catalog
	// files caches the entries of each mapping file; nil for one that
	// could not be read.
	files map[string]map[place][]entry
	// targets records the target tables already checked.
	targets map[string]bool
	ps      Problems
}

// matched is one source table a requirement reads.
type matched struct {
	source string
	name   tableName
	table  *table
}

// add records a problem at p of r's file.
func (c *checker) add(r mapping.Requirement, p place, sev Severity, format string, args ...any) {
	c.ps = append(c.ps, Problem{File: r.File, Line: p.line, Column: p.col, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// requirement checks one source entry.
func (c *checker) requirement(ctx context.Context, r mapping.Requirement) error {
	at := place{r.Line, r.Column}
	entries := c.entries(r)
	tables, err := c.match(ctx, r)
	if err != nil {
		return err
	}
	if err := c.searches(ctx, r); err != nil {
		return err
	}
	for _, m := range tables {
		for _, name := range r.Columns {
			if _, ok := m.table.find(name, false); !ok {
				c.add(r, readAt(entries, name, at), Error, "source %s table %s has no column %q, which this entry reads", m.source, m.name, name)
			}
		}
	}
	if c.target == nil {
		return nil
	}
	tn := tableName{r.Target.Schema, r.Target.Name}
	tt, err := c.target.table(ctx, tn)
	if err != nil {
		return fmt.Errorf("checking target: %w", err)
	}
	if !c.targets[tn.String()] {
		c.targets[tn.String()] = true
		c.targetTable(r, tn, tt)
	}
	if tt == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, w := range r.Written {
		if seen[strings.ToLower(w)] {
			continue
		}
		seen[strings.ToLower(w)] = true
		if _, ok := tt.find(w, true); !ok {
			c.add(r, writtenAt(entries, w, at), Error, "target table %s has no column %q, which this entry writes", tn, w)
		}
	}
	for _, m := range tables {
		c.copies(r, entries, m, tn, tt, seen)
	}
	return nil
}

// targetTable reports a missing target table or a primary key other than
// the mapping's key.
func (c *checker) targetTable(r mapping.Requirement, tn tableName, tt *table) {
	at := place{r.Line, r.Column}
	switch {
	case tt == nil:
		c.add(r, at, Error, "target table %s does not exist", tn)
	case len(tt.primary) == 0:
		c.add(r, at, Error, "target table %s has no primary key; the mapping's key is (%s)", tn, strings.Join(r.Target.Key, ", "))
	case !slices.EqualFunc(tt.primary, r.Target.Key, strings.EqualFold):
		c.add(r, at, Error, "the primary key of target table %s is (%s), the mapping's key is (%s)",
			tn, strings.Join(tt.primary, ", "), strings.Join(r.Target.Key, ", "))
	}
}

// copies checks the types of the plain column copies from m, and with
// all_columns that the copied columns exist on the target. written holds
// the lower-case target columns already checked for existence.
func (c *checker) copies(r mapping.Requirement, entries []entry, m matched, tn tableName, tt *table, written map[string]bool) {
	at := place{r.Line, r.Column}
	for _, e := range entries {
		if e.copies != "" {
			c.compare(r, place{e.line, e.col}, m, e.copies, tn, tt, e.target)
		}
	}
	if !r.AllColumns {
		return
	}
	for _, col := range m.table.columns {
		if slices.Contains(r.Exclude, col.name) ||
			slices.ContainsFunc(entries, func(e entry) bool { return e.target == col.name }) {
			continue
		}
		if _, ok := tt.find(col.name, true); !ok {
			if !written[strings.ToLower(col.name)] {
				c.add(r, at, Error, "target table %s has no column %q, which all_columns copies from source %s table %s", tn, col.name, m.source, m.name)
			}
			continue
		}
		c.compare(r, at, m, col.name, tn, tt, col.name)
	}
}

// compare reports a source column whose values the target column cannot
// store unchanged. Missing columns are reported elsewhere.
func (c *checker) compare(r mapping.Requirement, p place, m matched, from string, tn tableName, tt *table, to string) {
	src, ok := m.table.find(from, false)
	if !ok {
		return
	}
	dst, ok := tt.find(to, true)
	if !ok {
		return
	}
	v, why := compare(src.typ, dst.typ)
	if v == fits {
		return
	}
	sev := Error
	if v == mayTruncate {
		sev = Warning
	}
	c.add(r, p, sev, "source %s column %s.%s (%s) into target column %s.%s (%s): %s",
		m.source, m.name, src.name, src.typ, tn, dst.name, dst.typ, why)
}

// match returns the source tables r reads, and reports a pattern that
// matches none.
func (c *checker) match(ctx context.Context, r mapping.Requirement) ([]matched, error) {
	names, out, err := c.find(ctx, r.Source, r.Schema, r.Table)
	if err != nil {
		return nil, err
	}
	at := place{r.Line, r.Column}
	switch {
	case len(names) == 0:
		c.add(r, at, Error, "no configured source matches %q", r.Source)
	case len(out) == 0:
		c.add(r, at, Error, "no table matches %s.%s on source %s", r.Schema, r.Table, strings.Join(names, ", "))
	}
	return out, nil
}

// find returns the configured sources whose names match the source
// pattern, and the tables of theirs that schema and table match.
func (c *checker) find(ctx context.Context, source, schema, table string) ([]string, []matched, error) {
	var names []string
	for name := range c.sources {
		if ok, _ := path.Match(source, name); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []matched
	for _, name := range names {
		list, err := c.sources[name].list(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("checking source %s: %w", name, err)
		}
		for _, tn := range list {
			okSchema, _ := path.Match(schema, tn.schema)
			okTable, _ := path.Match(table, tn.name)
			if !okSchema || !okTable {
				continue
			}
			t, err := c.sources[name].table(ctx, tn)
			if err != nil {
				return nil, nil, fmt.Errorf("checking source %s: %w", name, err)
			}
			if t != nil {
				out = append(out, matched{source: name, name: tn, table: t})
			}
		}
	}
	return names, out, nil
}

// searches reports each table that a search of r reads whole: no index
// of it starts with a searched column, so every search, once per batch of
// changes, reads every row under shared locks, holding up the
// application's writes to the table meanwhile. Tables the search matches
// nowhere are reported by the entries that read them.
func (c *checker) searches(ctx context.Context, r mapping.Requirement) error {
	for _, s := range r.Searches {
		_, tables, err := c.find(ctx, s.Source, s.Schema, s.Table)
		if err != nil {
			return err
		}
		for _, m := range tables {
			indexes, err := c.sources[m.source].indexes(ctx, m.name)
			if err != nil {
				return fmt.Errorf("checking source %s: %w", m.source, err)
			}
			if slices.ContainsFunc(indexes, func(cols []string) bool {
				return slices.ContainsFunc(s.Columns, func(c string) bool { return strings.EqualFold(c, cols[0]) })
			}) {
				continue
			}
			c.add(r, place{r.Line, r.Column}, Warning,
				"source %s table %s has no index that starts with %s: %s scans the whole table "+
					"under shared locks, once per batch of changes; index (%s) there",
				m.source, m.name, strings.Join(s.Columns, " or "), s.Purpose, strings.Join(s.Columns, ", "))
		}
	}
	return nil
}

// entries returns the columns: entries of r's source entry, reading its
// mapping file once. When the file cannot be read it reports, once per
// file, that types are not checked.
func (c *checker) entries(r mapping.Requirement) []entry {
	byPlace, done := c.files[r.File]
	if !done {
		var err error
		byPlace, err = readEntries(r.File)
		if err != nil {
			c.add(r, place{}, Warning, "column types not checked: %v", err)
		}
		c.files[r.File] = byPlace
	}
	return byPlace[place{r.Line, r.Column}]
}

// readAt is where source column name is read: the first entry copying it,
// or else the source entry at.
func readAt(entries []entry, name string, at place) place {
	for _, e := range entries {
		if e.copies == name {
			return place{e.line, e.col}
		}
	}
	return at
}

// writtenAt is where target column name is written: its entry, or else the
// source entry at.
func writtenAt(entries []entry, name string, at place) place {
	for _, e := range entries {
		if e.target == name {
			return place{e.line, e.col}
		}
	}
	return at
}
