package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dsn"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// run holds the connections of one Run.
type run struct {
	opts     Options
	target   *sql.DB
	sources  map[string]*sql.DB
	resolver *lookup.Resolver
	// loads counts and paces the reads of each source.
	loads map[string]*load
}

// Run compares every target of opts with its sources and returns what it
// found. Errors never quote row values.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.ensureDefaults()
	if opts.Set == nil {
		return nil, errors.New("verify needs mappings, and the configuration names none")
	}
	r := &run{opts: opts, sources: map[string]*sql.DB{}}
	defer r.close()
	d, err := dsn.ReadSession(opts.TargetDSN)
	if err != nil {
		return nil, fmt.Errorf("reading the target DSN: %w", err)
	}
	if r.target, err = sql.Open("mysql", d); err != nil {
		return nil, fmt.Errorf("opening the target: %w", err)
	}
	r.target.SetMaxOpenConns(2)
	for name, s := range opts.Sources {
		sd, err := dsn.ReadSession(s)
		if err != nil {
			return nil, fmt.Errorf("reading the DSN of source %s: %w", name, err)
		}
		db, err := sql.Open("mysql", sd)
		if err != nil {
			return nil, fmt.Errorf("opening source %s: %w", name, err)
		}
		db.SetMaxOpenConns(2)
		r.sources[name] = db
	}
	r.newLoads()
	if opts.Set.NeedsLookups() {
		lo := opts.Lookups
		lo.Sources, lo.Log = opts.Sources, opts.Log.With("component", "lookup")
		if r.resolver, err = lookup.New(lo); err != nil {
			return nil, fmt.Errorf("opening lookup pools: %w", err)
		}
	}
	rep := &Report{}
	for _, name := range opts.Targets {
		m, err := r.verifyTarget(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", name, mysqlerr.Redact(err))
		}
		rep.Mappings = append(rep.Mappings, m)
	}
	rep.Sources = r.sourceLoads()
	return rep, nil
}

// close closes every connection.
func (r *run) close() {
	if r.target != nil {
		_ = r.target.Close()
	}
	for _, db := range r.sources {
		_ = db.Close()
	}
	if r.resolver != nil {
		_ = r.resolver.Close()
	}
}

// checker compares one target table with its sources.
type checker struct {
	r       *run
	name    string
	tt      *change.TargetTable
	drivers []mapping.Driver
	// tgt reads the target table; keyIdx are its key columns' indexes,
	// canon the encoding of each column, soft the indexes of soft-delete
	// columns.
	tgt    *reader
	keyIdx []int
	canon  []canonFunc
	soft   []int
	// volatile names the columns left out of the comparison.
	volatile map[string]bool
	// tables are the driving source tables, read in this order.
	tables []*srcTable
	// seen holds the hashes of the target keys the sources give and of
	// the target rows they matched.
	seen map[keyHash]struct{}
	rep  *MappingReport
	// mu guards seen and rep while chunks are compared at once.
	mu sync.Mutex
}

// verifyTarget compares the target table name with its sources.
func (r *run) verifyTarget(ctx context.Context, name string) (*MappingReport, error) {
	start := time.Now()
	set := r.opts.Set
	c := &checker{r: r, name: name, drivers: set.Drivers(name), seen: map[keyHash]struct{}{}, volatile: map[string]bool{}}
	for _, t := range set.Targets() {
		if t.QualifiedName() == name {
			c.tt = t
		}
	}
	if c.tt == nil || len(c.drivers) == 0 {
		return nil, fmt.Errorf("no mapping writes %s", name)
	}
	c.rep = &MappingReport{Target: name}
	for _, m := range set.Mappings() {
		if m.Target == name {
			c.rep.File = m.File
		}
	}
	for _, col := range set.Volatile(name) {
		c.volatile[col] = true
		c.rep.Skipped = append(c.rep.Skipped, col)
	}
	if err := c.describeTarget(ctx); err != nil {
		return nil, err
	}
	if err := c.findTables(ctx); err != nil {
		return nil, err
	}
	var suspects []*suspect
	var fp *fastPlan
	if len(r.opts.Keys) > 0 {
		s, err := c.scanKeys(ctx)
		if err != nil {
			return nil, err
		}
		suspects = s
		c.rep.Path, c.rep.PathNote = PathRows, "only the listed keys are compared"
	} else {
		var why string
		var err error
		if fp, why, err = c.fastPlan(ctx); err != nil {
			return nil, err
		}
		if suspects, err = c.readSources(ctx, fp, why); err != nil {
			return nil, err
		}
	}
	r.opts.Log.Debug("read the sources", "target", name, "compared", c.rep.Compared, "elapsed", time.Since(start).Round(time.Millisecond))
	if len(r.opts.Keys) > 0 {
		// scanKeys looked for the extra rows among the keys.
	} else if c.rep.Truncated {
		// The keys the sources give were not all seen: a walk of the
		// target would take the others for extra rows.
		c.rep.Note = fmt.Sprintf("stopped after %d differences (--max-differences): the counts are lower bounds and extra rows were not looked for", len(suspects))
	} else if fp != nil || c.rep.ExtraChecked {
		c.rep.ExtraChecked = true // the chunks' intervals cover every key
	} else {
		extras, err := c.walkTarget(ctx, r.opts.MaxDifferences-len(suspects))
		if err != nil {
			return nil, err
		}
		suspects = append(suspects, extras...)
	}
	r.opts.Log.Debug("walked the target", "target", name, "elapsed", time.Since(start).Round(time.Millisecond))
	c.rep.Rechecked = len(suspects)
	left, err := c.settle(ctx, suspects)
	if err != nil {
		return nil, err
	}
	for _, s := range left {
		c.rep.Diffs = append(c.rep.Diffs, c.difference(s))
		switch s.kind {
		case Missing:
			c.rep.Missing++
		case Extra:
			c.rep.Extra++
		default:
			c.rep.Different++
		}
	}
	c.rep.Elapsed = time.Since(start)
	r.opts.Log.Info("verified", "target", name, "compared", c.rep.Compared, "missing", c.rep.Missing,
		"extra", c.rep.Extra, "different", c.rep.Different, "elapsed", c.rep.Elapsed.Round(time.Millisecond))
	return c.rep, nil
}

// readSources compares the rows of the source tables, by the checksums
// of fp when there is one, and returns the differences seen.
func (c *checker) readSources(ctx context.Context, fp *fastPlan, why string) ([]*suspect, error) {
	limit := c.r.opts.MaxDifferences
	if fp != nil {
		c.rep.Path = PathChecksum
		return c.fastScan(ctx, fp, limit)
	}
	c.rep.Path, c.rep.PathNote = PathRows, why
	var out []*suspect
	for _, st := range c.tables {
		s, err := c.scan(ctx, st, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
		if c.rep.Truncated {
			break
		}
	}
	return out, nil
}

// describeTarget reads the target table's columns and checks its key.
func (c *checker) describeTarget(ctx context.Context) error {
	rd, err := newReader(ctx, c.r.target, c.tt.Schema, c.tt.Name)
	if err != nil {
		return fmt.Errorf("describing the target table: %w", err)
	}
	c.tgt = rd
	for _, k := range c.tt.Key {
		i := rd.t.ColumnIndex(k)
		if i < 0 {
			return fmt.Errorf("the target table has no key column %s", k)
		}
		c.keyIdx = append(c.keyIdx, i)
	}
	for _, col := range rd.t.Columns {
		c.canon = append(c.canon, canonFor(col))
	}
	for _, d := range c.drivers {
		if d.SoftColumn == "" {
			continue
		}
		i := rd.t.ColumnIndex(d.SoftColumn)
		if i < 0 {
			return fmt.Errorf("the target table has no soft-delete column %s", d.SoftColumn)
		}
		if !slices.Contains(c.soft, i) {
			c.soft = append(c.soft, i)
		}
	}
	return nil
}

// ckey returns the canonical encoding of target key values: a single
// value's own, several values each after its length.
func (c *checker) ckey(key []change.Value) string {
	if len(key) == 1 {
		return c.canon[c.keyIdx[0]](key[0])
	}
	var b strings.Builder
	for i, v := range key {
		s := c.canon[c.keyIdx[i]](v)
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}

// rowKey returns the key values of a target row.
func (c *checker) rowKey(row change.Row) []change.Value {
	out := make([]change.Value, len(c.keyIdx))
	for i, k := range c.keyIdx {
		out[i] = row[k]
	}
	return out
}

// softDeleted reports whether a target row is marked deleted.
func (c *checker) softDeleted(row change.Row) bool {
	for _, i := range c.soft {
		if row[i] != nil {
			return true
		}
	}
	return false
}

// ignoresDeletes reports whether a driving entry keeps target rows whose
// source rows are gone (delete: ignore).
func (c *checker) ignoresDeletes() bool {
	return slices.ContainsFunc(c.drivers, func(d mapping.Driver) bool { return d.Delete == "ignore" })
}
