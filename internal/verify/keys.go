package verify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// typedKeys turns keys held as text into the values of the columns cols
// of t, as the decoder types them.
func typedKeys(t *change.Table, cols []string, keys [][]string) ([][]change.Value, error) {
	convs := make([]func([]byte) (change.Value, error), len(cols))
	for i, name := range cols {
		at := t.ColumnIndex(name)
		if at < 0 {
			return nil, fmt.Errorf("%s has no column %s", t.QualifiedName(), name)
		}
		var err error
		if convs[i], err = decode.TextValue(t.Columns[at]); err != nil {
			return nil, err
		}
	}
	out := make([][]change.Value, 0, len(keys))
	for n, k := range keys {
		if len(k) != len(cols) {
			return nil, fmt.Errorf("key %d has %d values for the %d key columns", n+1, len(k), len(cols))
		}
		vals := make([]change.Value, len(k))
		for i, text := range k {
			v, err := convs[i]([]byte(text))
			if err != nil {
				return nil, fmt.Errorf("key %d, column %s: %w", n+1, cols[i], err)
			}
			vals[i] = v
		}
		out = append(out, vals)
	}
	return out, nil
}

// scanKeys compares the target rows of Options.Keys: each driving table
// is read for the rows whose key columns hold them, their target rows are
// compared, and the keys the target holds that no source row gave are
// extra (unless marked deleted, or kept under delete: ignore). It returns
// the differences seen, to be checked again.
func (c *checker) scanKeys(ctx context.Context) ([]*suspect, error) {
	var out []*suspect
	for _, st := range c.tables {
		var d *mapping.Driver
		for i := range c.drivers {
			if drives(c.drivers[i], st) {
				d = &c.drivers[i]
				break
			}
		}
		if d == nil {
			continue
		}
		if d.KeyColumns == nil {
			// The entry computes the target key: read the table whole
			// and compare the rows that give one of the keys.
			sus, err := c.scanFor(ctx, st)
			if err != nil {
				return nil, err
			}
			out = append(out, sus...)
			continue
		}
		keys, err := typedKeys(st.plan.Table, d.KeyColumns, c.r.opts.Keys)
		if err != nil {
			return nil, err
		}
		for batch := range slices.Chunk(keys, c.r.opts.ChunkRows) {
			rows, err := st.rd.byKeys(ctx, st.db, d.KeyColumns, batch)
			if err != nil {
				return nil, err
			}
			exps, err := c.expect(ctx, st, rows)
			if err != nil {
				return nil, err
			}
			sus, err := c.compare(ctx, exps, true)
			if err != nil {
				return nil, err
			}
			c.rep.Compared += len(exps)
			out = append(out, sus...)
		}
	}
	if c.ignoresDeletes() {
		c.rep.Note = "extra rows not looked for: a driving entry has delete: ignore, which keeps target rows whose source rows are gone"
		return out, nil
	}
	keys, err := typedKeys(c.tgt.t, c.tt.Key, c.r.opts.Keys)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for batch := range slices.Chunk(keys, c.r.opts.ChunkRows) {
		rows, err := c.tgt.byKeys(ctx, c.r.target, c.tt.Key, batch)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			key := c.rowKey(row)
			ck := c.ckey(key)
			if _, ok := c.seen[hashKey(ck)]; ok || c.softDeleted(row) {
				continue
			}
			out = append(out, &suspect{kind: Extra, key: key, ckey: ck, got: row, since: now})
		}
	}
	c.rep.ExtraChecked = true
	return out, nil
}

// scanFor reads st whole and compares the target rows it gives whose keys
// are among Options.Keys.
func (c *checker) scanFor(ctx context.Context, st *srcTable) ([]*suspect, error) {
	keys, err := typedKeys(c.tgt.t, c.tt.Key, c.r.opts.Keys)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[c.ckey(k)] = true
	}
	var out []*suspect
	var after []change.Value
	for {
		rows, err := st.plan.Read(ctx, st.db, after, c.r.opts.ChunkRows)
		if err != nil {
			return nil, err
		}
		exps, err := c.expect(ctx, st, rows)
		if err != nil {
			return nil, err
		}
		exps = slices.DeleteFunc(exps, func(e *expRow) bool { return !want[e.ckey] })
		sus, err := c.compare(ctx, exps, true)
		if err != nil {
			return nil, err
		}
		c.rep.Compared += len(exps)
		out = append(out, sus...)
		if len(rows) < c.r.opts.ChunkRows {
			return out, nil
		}
		after = st.plan.KeyOf(rows[len(rows)-1])
	}
}
