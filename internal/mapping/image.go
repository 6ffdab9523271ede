package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/exprerr"
)

// image evaluates a contributor's expressions over one row image.
type image struct {
	c   *contributor
	b   *binding
	row change.Row
	m   *metadata
	// pair is the driving contributor computing a non-driving row's key.
	pair *contributor
	// env is the expression environment, built on first use.
	env map[string]any
	// room is where values puts a driving row's values: allocated by
	// keyAndRoom with the key, one allocation for both.
	room []change.Value
}

// evalError is an expression failure with what was being computed.
type evalError struct {
	what string
	err  error
}

func (e *evalError) Error() string { return "computing " + e.what + ": " + e.err.Error() }
func (e *evalError) Unwrap() error { return e.err }

// eval computes p over the image.
func (im *image) eval(p *program) (change.Value, error) {
	switch p.kind {
	case progColumn:
		return im.row[im.b.idx[p.ref]], nil
	case progMeta:
		return metaValue(im.m, p.field), nil
	case progConst:
		return p.constant, nil
	}
	v, err := im.run(p.vm)
	if err != nil {
		return nil, err
	}
	return fromResult(v)
}

// run runs a program on the expression machine.
func (im *image) run(prog *vm.Program) (any, error) {
	if im.env == nil {
		im.env = make(map[string]any, len(im.c.refs)+1)
		for i, r := range im.c.refs {
			im.env[r] = change.Plain(im.row[im.b.idx[i]])
		}
		im.env[metaName] = *im.m
	}
	v, err := expr.Run(prog, im.env)
	if err != nil {
		return nil, im.failure(prog, err)
	}
	return v, nil
}

// failure describes a runtime error of prog by its class (exprerr.Class),
// the expression and the types of the columns it reads: expression errors
// may quote row values, which must not reach logs.
func (im *image) failure(prog *vm.Program, err error) error {
	class := exprerr.Class(err, im.env)
	node := prog.Node()
	refs, _, _ := identifiers(&node)
	types := make([]string, len(refs))
	for i, r := range refs {
		types[i] = fmt.Sprintf("%s %T", r, im.env[r])
	}
	msg := fmt.Sprintf("expression %q: %s", prog.Source().String(), class)
	if len(types) > 0 {
		msg += " (" + strings.Join(types, ", ") + ")"
	}
	return errors.New(msg)
}

// matches evaluates the filter; no filter matches every row, NULL none.
func (im *image) matches() (bool, error) {
	f := im.c.filter
	if f == nil {
		return true, nil
	}
	if f.vm == nil {
		return false, nil
	}
	v, err := im.run(f.vm)
	if err != nil {
		return false, &evalError{"filter", err}
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case nil:
		return false, nil
	}
	return false, &evalError{"filter", fmt.Errorf("result of type %T is not a boolean", v)}
}

// key computes the target key. A non-driving row's key is computed by its
// driving pair from the joined columns, nil when a joined value is NULL.
func (im *image) key() ([]change.Value, error) {
	return im.keyWith(0)
}

// keyAndRoom is key, and for a driving row it also makes room for the
// values that values computes next, in the key's allocation.
func (im *image) keyAndRoom() ([]change.Value, error) {
	return im.keyWith(len(im.b.cols))
}

// keyWith is key, allocating room more values after a driving row's key
// for values; the key's capacity stays its length, so appending to it
// never writes into them.
func (im *image) keyWith(room int) ([]change.Value, error) {
	if !im.c.driving {
		return im.c.joinedKey(im, im.pair)
	}
	n := len(im.c.target.table.Key)
	buf := make([]change.Value, n+room)
	key := buf[:n:n]
	if room > 0 {
		im.room = buf[n:]
	}
	var err error
	for i, name := range im.c.target.table.Key {
		key[i], err = im.column(im.b.keyAt[i])
		if err != nil {
			return nil, &evalError{fmt.Sprintf("key column %q", name), err}
		}
		if key[i] == nil {
			return nil, &evalError{fmt.Sprintf("key column %q", name), errors.New("value is NULL")}
		}
	}
	return key, nil
}

// column computes the value of b.cols[i] for a driving contributor.
func (im *image) column(i int) (change.Value, error) {
	switch n := len(im.c.columns); {
	case i < n:
		return im.eval(im.c.columns[i].prog)
	case i < n+len(im.b.copyIdx):
		return im.row[im.b.copyIdx[i-n]], nil
	}
	return nil, nil // the soft-delete column: NULL while the row lives
}

// values computes every value of a full Upsert, aligned with b.cols.
func (im *image) values() ([]change.Value, error) {
	vals := im.room
	im.room = nil
	if len(vals) != len(im.b.cols) {
		vals = make([]change.Value, len(im.b.cols))
	}
	if !im.c.driving {
		for i, col := range im.c.columns {
			v, err := im.eval(col.prog)
			if err != nil {
				return nil, &evalError{fmt.Sprintf("column %q", col.name), err}
			}
			vals[i] = v
		}
		return vals, nil
	}
	for i := range vals {
		v, err := im.column(i)
		if err != nil {
			return nil, &evalError{fmt.Sprintf("column %q", im.b.cols[i]), err}
		}
		vals[i] = v
	}
	return vals, nil
}
