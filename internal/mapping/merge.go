package mapping

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"

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
			ok = c.joinedMeta(m, ct, d) && ok
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
	if d, ok := t.pairs.Load(source); ok {
		return d.(*contributor)
	}
	d := t.findDriver(source)
	t.pairs.Store(source, d)
	return d
}

// findDriver is driverFor without the cache.
func (t *target) findDriver(source string) *contributor {
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
	if src := literal(d.sourcePat); src != "" {
		dm.Source = src // the driving row's source, which a key may read
	}
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

// completion is a contributor that completes a driving row, and the
// source its rows are read on.
type completion struct {
	ct     *contributor
	source string
}

// completions returns the contributors that complete d's rows of source,
// computed once per source: matching patterns on every change would cost
// more than the rest of the work.
func (d *contributor) completions(source string) []completion {
	if cs, ok := d.completing.Load(source); ok {
		return cs.([]completion)
	}
	t := d.target
	var cs []completion
	for _, ct := range t.contributors {
		if ct.driving || ct.completion == nil {
			continue
		}
		src := source
		if ok, _ := path.Match(ct.sourcePat, source); !ok {
			src = literal(ct.sourcePat)
			if src == "" {
				continue
			}
		}
		if t.driverFor(src) == d {
			cs = append(cs, completion{ct, src})
		}
	}
	d.completing.Store(source, cs)
	return cs
}

// pending returns the lookups that complete an Upsert of a driving row of
// d from source: each paired contributor's completion and each lookup.
func (d *contributor) pending(im *image, source string, cols []string, vals []change.Value) []change.Pending {
	t := d.target
	var out []change.Pending
	for _, c := range d.completions(source) {
		ct := c.ct
		params := make([]change.Value, len(ct.join))
		for i, j := range ct.join {
			params[i] = im.ref(j.driving)
		}
		out = append(out, change.Pending{Lookup: ct.completion, Source: c.source, Params: params})
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
// not d's to write. A driving source without owns: is not checked: the
// mapping loaded only because its key reads where its rows come from (see
// collide.go), which no other driving source's keys hold, and another's
// owns: condition could not even be evaluated over such a key.
func (t *target) guard(ops []change.TargetOp, start int, d *contributor, source string) ([]change.TargetOp, error) {
	if d == nil || d.owns == nil {
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
		env[k] = change.Plain(key[i])
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
