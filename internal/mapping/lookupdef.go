package mapping

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Lookups: compiling lookups: entries and turning changes of looked-up
// tables into re-derivations (see merge.go for how they complete rows).

// lookupDef is one compiled lookup of a target.
type lookupDef struct {
	target *target
	file   string
	pos    pos
	// source is the configured source the lookup reads.
	source string
	lk     *change.Lookup
	// matchTarget lists the target columns the parameters come from,
	// aligned with lk.Match.
	matchTarget []string
	// direct is set when matchTarget is the target key (in some order);
	// keyAt then gives the index in lk.Match of each target key column.
	direct bool
	keyAt  []int
	// watched lists the looked-up columns whose change re-derives rows:
	// lk.Match then lk.Select.
	watched []string
	last    atomic.Pointer[lookupBindingCache]
}

// lookupBindingCache remembers the column indexes of watched in the most
// recent source table.
type lookupBindingCache struct {
	table *change.Table
	idx   []int
}

// where names the lookup's place in its mapping file.
func (l *lookupDef) where() string { return fmt.Sprintf("%s:%s", l.file, l.pos) }

// lookup checks and compiles one lookup; nil when it has problems.
func (c *compiler) lookup(t *target, l *lookupSpec) *lookupDef {
	file := t.file
	ld := &lookupDef{target: t, file: file, pos: l.pos}
	lk := &change.Lookup{}
	ok := len(l.failed) == 0
	bad := func(p pos, keyPath, format string, args ...any) {
		c.add(file, p, keyPath, format, args...)
		ok = false
	}
	switch {
	case l.source == nil:
		bad(l.pos, l.path, "source: is required")
	case c.sourceNames != nil && !slices.Contains(c.sourceNames, l.source.value):
		bad(l.source.pos, l.path+".source", "%q is not a configured source (lookups name one source, without patterns)", l.source.value)
	default:
		ld.source = l.source.value
	}
	if l.table == nil {
		bad(l.pos, l.path, "table: is required")
	} else if schema, table, msg := splitName(l.table.value, false); msg != "" {
		bad(l.table.pos, l.path+".table", "%s", msg)
	} else {
		lk.Schema, lk.Table = schema, table
	}
	if l.matchPos == nil {
		bad(l.pos, l.path, "match: is required (looked-up column: target column it equals)")
	} else if len(l.match) == 0 && !l.failed["match"] {
		bad(*l.matchPos, l.path+".match", "must pair at least one column")
	}
	for _, e := range l.match {
		if !plainName(e.name.value) {
			bad(e.name.pos, e.path, "must be a column name of the looked-up table")
			continue
		}
		if e.expr.null || !plainName(e.expr.value) {
			bad(e.expr.pos, e.path, "must be a target column name")
			continue
		}
		lk.Match = append(lk.Match, e.name.value)
		ld.matchTarget = append(ld.matchTarget, e.expr.value)
	}
	if l.colPos == nil {
		bad(l.pos, l.path, "columns: is required")
	} else if len(l.columns) == 0 && !l.failed["columns"] {
		bad(*l.colPos, l.path+".columns", "must name at least one column")
	}
	for _, lc := range l.columns {
		if !plainName(lc.column.value) {
			bad(lc.column.pos, lc.path, "must be a column name of the looked-up table")
			continue
		}
		if lc.array {
			if len(l.columns) > 1 {
				bad(lc.name.pos, lc.path, "a json_array lookup fills one column; declare the others in another lookup")
				continue
			}
			lk.Array = true
			for _, o := range lc.orderBy {
				lk.OrderBy = append(lk.OrderBy, o.value)
			}
		}
		lk.Columns = append(lk.Columns, lc.name.value)
		lk.Select = append(lk.Select, lc.column.value)
	}
	if !ok {
		return nil
	}
	lk.Name = fmt.Sprintf("%s:%s", file, l.pos)
	ld.lk = lk
	ld.watched = append(append([]string(nil), lk.Match...), lk.Select...)
	ld.watched = append(ld.watched, lk.OrderBy...)
	key := t.table.Key
	if len(ld.matchTarget) == len(key) {
		ld.direct = true
		for _, k := range key {
			at := slices.Index(ld.matchTarget, k)
			if at < 0 {
				ld.direct = false
				break
			}
			ld.keyAt = append(ld.keyAt, at)
		}
	}
	return ld
}

// vias gives each lookup that is not keyed by the target key the way to
// find the target rows of a re-derivation: through its single driving
// source, whose key and matched columns must be plain column copies.
func (c *compiler) vias(t *target, m *mappingSpec) bool {
	ok := true
	for _, l := range t.lookups {
		if l.direct {
			continue
		}
		fail := func(format string, args ...any) {
			c.add(l.file, l.pos, lookupPath(m, l), format, args...)
			ok = false
		}
		if len(t.drivers) != 1 {
			fail("match: is not the target key, so re-deriving needs the rows' keys from the driving source, and there are %d", len(t.drivers))
			continue
		}
		d := t.drivers[0]
		if d.sourcePat != literal(d.sourcePat) || d.schemaPat != literal(d.schemaPat) || d.tablePat != literal(d.tablePat) {
			fail("match: is not the target key, so re-deriving reads the driving source %s, which must name one source and one table", d.where())
			continue
		}
		via := &change.Via{Source: d.sourcePat, Schema: d.schemaPat, Table: d.tablePat}
		plain := func(col string) string {
			p := d.keyProgram(col)
			if p == nil || p.kind != progColumn {
				fail("match: is not the target key, so target column %q must be a plain copy of a column of the driving source %s", col, d.where())
				return ""
			}
			return p.column
		}
		for _, k := range t.table.Key {
			via.Key = append(via.Key, plain(k))
		}
		for _, col := range l.matchTarget {
			via.Cond = append(via.Cond, plain(col))
		}
		l.lk.Via = via
	}
	return ok
}

// lookupPath returns the key path of l's entry in m.
func lookupPath(m *mappingSpec, l *lookupDef) string {
	for _, s := range m.lookups {
		if s.pos == l.pos {
			return s.path
		}
	}
	return "lookups"
}

// apply appends the re-derivations that change i of a looked-up table
// asks for: one per distinct parameter set of its images, skipped when an
// update touches none of the watched columns.
func (l *lookupDef) apply(ops []change.TargetOp, i int, ch *change.RowChange) ([]change.TargetOp, error) {
	idx, err := l.bind(ch.Table)
	if err != nil {
		return ops, err
	}
	var images []change.Row
	switch ch.Op {
	case change.Insert, change.Read:
		images = []change.Row{ch.After}
	case change.Delete:
		images = []change.Row{ch.Before}
	case change.Update:
		if same(ch.Before, ch.After, idx) {
			return ops, nil
		}
		images = []change.Row{ch.Before, ch.After}
		if same(ch.Before, ch.After, idx[:len(l.lk.Match)]) {
			images = images[1:]
		}
	}
	for _, row := range images {
		if len(row) != len(ch.Table.Columns) {
			return ops, fmt.Errorf("reading image of lookup %s: %d values for %d columns", l.where(), len(row), len(ch.Table.Columns))
		}
		params := make([]change.Value, len(l.lk.Match))
		null := false
		for j := range params {
			params[j] = row[idx[j]]
			null = null || params[j] == nil
		}
		if null {
			continue // NULL equals nothing: no row depends on it
		}
		p := []change.Pending{{Lookup: l.lk, Source: l.source, Params: params}}
		if l.direct {
			if l.repeats(ops, params) {
				continue
			}
			key := make([]change.Value, len(l.keyAt))
			for k, at := range l.keyAt {
				key[k] = params[at]
			}
			ops = append(ops, change.TargetOp{Target: l.target.table, Kind: change.UpdateRow, Key: key, Pending: p, Change: i})
			continue
		}
		ops = append(ops, change.TargetOp{Target: l.target.table, Kind: change.Rederive,
			Cond: l.matchTarget, CondValues: params, Pending: p, Change: i})
	}
	return ops, nil
}

// repeatsWithin bounds how far back repeats looks.
const repeatsWithin = 16

// repeats reports whether the run of re-derivations that ops ends with
// (unconditional UpdateRows asking for one lookup and writing nothing of
// their own) holds the direct re-derivation of l with params: the
// children of one row, written together, each ask for their parent.
// Within such a run the order does not matter, since each writes only its
// lookup's columns, read when the sink writes the row, after the
// transaction; and the same one twice writes the same values. Any other
// operation ends the run: it might be the row's delete or upsert, whose
// order the sink keeps. Only the last repeatsWithin operations are looked
// at.
func (l *lookupDef) repeats(ops []change.TargetOp, params []change.Value) bool {
	for j := len(ops) - 1; j >= 0 && j >= len(ops)-repeatsWithin; j-- {
		o := &ops[j]
		if o.Kind != change.UpdateRow || len(o.Pending) != 1 || len(o.Columns) != 0 || len(o.Cond) != 0 {
			return false
		}
		p := &o.Pending[0]
		if o.Target == l.target.table && p.Lookup == l.lk && p.Source == l.source && slices.EqualFunc(p.Params, params, change.Equal) {
			return true
		}
	}
	return false
}

// same reports whether two images agree on the columns at idx.
func same(a, b change.Row, idx []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, i := range idx {
		if i >= len(a) || !change.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// bind returns the indexes of the watched columns in t.
func (l *lookupDef) bind(t *change.Table) ([]int, error) {
	if c := l.last.Load(); c != nil && c.table == t {
		return c.idx, nil
	}
	idx := make([]int, len(l.watched))
	for i, col := range l.watched {
		if idx[i] = t.ColumnIndex(col); idx[i] < 0 {
			return nil, fmt.Errorf("%w: column %q of %s, needed by the lookup at %s, does not exist",
				ErrSchemaDrift, col, t.QualifiedName(), l.where())
		}
	}
	l.last.Store(&lookupBindingCache{table: t, idx: idx})
	return idx, nil
}
