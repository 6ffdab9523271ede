package mapping

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/expr-lang/expr"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Merges.
//
// A target row exists while a driving row produces it. A non-driving
// contributor writes only its own columns, and only into a row that
// exists (change.UpdateRow): a contributor row that arrives first is not
// written anywhere, it stays in its source. Every Upsert of a driving row
// carries the completion of each contributor paired with it, a lookup that
// the sink runs right before the write, so the row is complete as soon as
// it appears, and a later contributor change overwrites those columns in
// order. Declared lookups work the same way for columns read from other
// tables; a change to a looked-up table re-derives the rows that depend on
// it. Each read happens in the writer's order among the writes to its row,
// after every change seen before it, which is what makes the result
// converge.

// joinPair is one join: entry of a non-driving contributor.
type joinPair struct {
	// own is the contributor's column; driving the driving column it equals.
	own, driving string
}

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

// joins completes the non-driving contributors once all are compiled:
// every driving key must be computable from the joined columns, each
// contributor gets its completion lookup and every contributor reads the
// joined columns. It also checks that lookups match columns the driving
// sources write. It reports whether all is well.
func (c *compiler) joins(t *target, m *mappingSpec) bool {
	ok := true
	var drivingCols []string
	for _, ct := range t.contributors {
		if ct.driving {
			continue
		}
		var own []string
		for _, j := range ct.join {
			own = append(own, j.own)
			drivingCols = append(drivingCols, j.driving)
		}
		for _, d := range t.drivers {
			for _, k := range t.table.Key {
				for _, r := range d.keyProgram(k).refs {
					if !slices.ContainsFunc(ct.join, func(j joinPair) bool { return j.driving == r }) {
						c.add(ct.file, ct.pos, specPath(m, ct), "join: does not give driving column %q, which the target key %q of %s reads", r, k, d.where())
						ok = false
					}
				}
			}
		}
		if ct.schemaPat+"."+ct.tablePat != literal(ct.schemaPat)+"."+literal(ct.tablePat) {
			c.add(ct.file, ct.pos, specPath(m, ct)+".table", "must be a plain schema.table on a non-driving source: a driving row is completed by reading it")
			ok = false
		}
		ct.refs = collectRefs(ct, own...)
		ct.completion = &change.Lookup{
			Name: ct.where(), Schema: ct.schemaPat, Table: ct.tablePat,
			Match: own, Select: ct.refs, Columns: ct.names(), Eval: ct.complete,
		}
	}
	for _, d := range t.drivers {
		d.refs = collectRefs(d, drivingCols...)
	}
	for _, l := range t.lookups {
		for i, col := range l.matchTarget {
			for _, d := range t.drivers {
				if !slices.Contains(d.names(), col) {
					c.add(l.file, l.pos, lookupPath(m, l)+".match."+l.lk.Match[i], "target column %q is not written by the driving source %s", col, d.where())
					ok = false
				}
			}
		}
	}
	return ok
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

// literal returns p when it has no pattern characters, else "".
func literal(p string) string {
	if _, err := path.Match(p, ""); err == nil {
		for _, r := range p {
			switch r {
			case '*', '?', '[', '\\':
				return ""
			}
		}
	}
	return p
}

// specPath returns the key path of ct's entry in m.
func specPath(m *mappingSpec, ct *contributor) string {
	for _, s := range m.sources {
		if s.pos == ct.pos {
			return s.path
		}
	}
	return "sources"
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

// keyProgram returns the program of target column col of a driving
// contributor, nil when it names none.
func (c *contributor) keyProgram(col string) *program {
	for _, cl := range c.columns {
		if cl.name == col {
			return cl.prog
		}
	}
	return nil
}

// driverFor returns the driving contributor that a non-driving row of
// source pairs with: the driving contributor reading the same source, else
// the only one.
func (t *target) driverFor(source string) *contributor {
	for _, d := range t.drivers {
		if ok, _ := path.Match(d.sourcePat, source); ok {
			return d
		}
	}
	if len(t.drivers) == 1 {
		return t.drivers[0]
	}
	return nil
}

// synthBinding binds a driving contributor to a row holding its refs alone.
func (c *contributor) synthBinding() (*binding, error) {
	if b := c.synth.Load(); b != nil {
		return b, nil
	}
	t := &change.Table{}
	for _, r := range c.refs {
		t.Columns = append(t.Columns, change.Column{Name: r})
	}
	b, err := c.newBinding(t)
	if err != nil {
		return nil, err
	}
	c.synth.Store(b)
	return b, nil
}

// joinedKey computes the target key of a non-driving row: the key the
// paired driving contributor d computes for a row holding the joined
// values. It returns nil when a joined value is NULL: no row can pair.
func (c *contributor) joinedKey(im *image, d *contributor) ([]change.Value, error) {
	b, err := d.synthBinding()
	if err != nil {
		return nil, err
	}
	row := make(change.Row, len(d.refs))
	for _, j := range c.join {
		v := im.ref(j.own)
		if v == nil {
			return nil, nil
		}
		row[sort.SearchStrings(d.refs, j.driving)] = v
	}
	dm := *im.m
	dm.Schema, dm.Table = d.schemaPat, d.tablePat
	return (&image{c: d, b: b, row: row, m: &dm}).key()
}

// ref returns the value of the contributor's column name in the image.
func (im *image) ref(name string) change.Value {
	return im.row[im.b.idx[sort.SearchStrings(im.c.refs, name)]]
}

// complete is the Eval of a non-driving contributor's completion: the
// values of its columns for a looked-up row, which must match its filter.
// Metadata is that of the looked-up table; there is no commit time or
// GTID for a read.
func (c *contributor) complete(t *change.Table, row change.Row) ([]change.Value, bool, error) {
	b, err := c.newBinding(t)
	if err != nil {
		return nil, false, err
	}
	im := &image{c: c, b: b, row: row, m: &metadata{Schema: t.Schema, Table: t.Name}}
	if ok, err := im.matches(); err != nil || !ok {
		return nil, false, err
	}
	vals := make([]change.Value, len(c.columns))
	for i, col := range c.columns {
		if vals[i], err = im.eval(col.prog); err != nil {
			return nil, false, &evalError{fmt.Sprintf("column %q", col.name), err}
		}
	}
	return vals, true, nil
}

// pending returns the lookups that complete an Upsert of a driving row of
// d from source: each paired contributor's completion and each lookup.
func (d *contributor) pending(im *image, source string, cols []string, vals []change.Value) []change.Pending {
	t := d.target
	var out []change.Pending
	for _, ct := range t.contributors {
		if ct.driving || ct.completion == nil {
			continue
		}
		src := source
		if ok, _ := path.Match(ct.sourcePat, source); !ok {
			src = literal(ct.sourcePat)
			if src == "" || t.driverFor(src) != d {
				continue
			}
		} else if t.driverFor(source) != d {
			continue
		}
		params := make([]change.Value, len(ct.join))
		for i, j := range ct.join {
			params[i] = im.ref(j.driving)
		}
		out = append(out, change.Pending{Lookup: ct.completion, Source: src, Params: params})
	}
	for _, l := range t.lookups {
		params := make([]change.Value, len(l.matchTarget))
		for i, col := range l.matchTarget {
			params[i] = vals[slices.Index(cols, col)]
		}
		out = append(out, change.Pending{Lookup: l.lk, Source: l.source, Params: params})
	}
	return out
}

// ErrNotOwned reports a target key that a source must not write: outside
// its owns: condition, or inside another driving source's.
var ErrNotOwned = errors.New("target key owned by another source")

// guard turns the operations from start on into Rejects where their key is
// not d's to write. Targets with a single driving source and no owns: are
// not checked.
func (t *target) guard(ops []change.TargetOp, start int, d *contributor, source string) ([]change.TargetOp, error) {
	if d == nil || (d.owns == nil && len(t.drivers) < 2) {
		return ops, nil
	}
	for i := start; i < len(ops); i++ {
		op := &ops[i]
		if op.Kind == change.Reject {
			continue
		}
		mine, err := d.ownsKey(op.Key)
		if err != nil {
			return ops, err
		}
		other := ""
		for _, o := range t.drivers {
			if o == d || o.owns == nil {
				continue
			}
			theirs, err := o.ownsKey(op.Key)
			if err != nil {
				return ops, err
			}
			if theirs {
				other = o.where()
				break
			}
		}
		switch {
		case !mine:
			op.Err = fmt.Errorf("%w: source %s writes a %s key outside owns: of %s", ErrNotOwned, source, op.Kind, d.where())
		case other != "":
			op.Err = fmt.Errorf("%w: source %s writes a %s key that owns: of %s also claims", ErrNotOwned, source, op.Kind, other)
		default:
			continue
		}
		op.Kind, op.Columns, op.Values, op.Pending = change.Reject, nil, nil, nil
	}
	return ops, nil
}

// ownsKey evaluates d's owns: over a target key; true without one.
func (d *contributor) ownsKey(key []change.Value) (bool, error) {
	if d.owns == nil {
		return true, nil
	}
	switch d.owns.kind {
	case progConst:
		v, _ := d.owns.constant.(int64)
		return v == 1, nil
	case progVM:
	default:
		return false, fmt.Errorf("owns: of %s must be a condition", d.where())
	}
	env := make(map[string]any, len(key))
	for i, k := range d.target.table.Key {
		env[k] = toEnv(key[i])
	}
	v, err := expr.Run(d.owns.vm, env)
	if err != nil {
		return false, fmt.Errorf("evaluating owns: of %s: %w", d.where(), err)
	}
	b, ok := v.(bool)
	if !ok && v != nil {
		return false, fmt.Errorf("owns: of %s gave %T, not a boolean", d.where(), v)
	}
	return b, nil
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
	case change.Insert:
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
