package verify

import (
	"context"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// walkFactor is how many chunks' worth of keys the walk of the target
// reads at once.
const walkFactor = 10

// walkTarget reads the target's keys in chunks and returns the rows no
// source row gave during the scan: extra rows, to be checked again, at
// most limit of them. A row
// marked deleted by a soft-deleting entry is expected to outlive its
// source row; so is every row under delete: ignore, whose target is not
// walked, nor is it under a --where.
func (c *checker) walkTarget(ctx context.Context, limit int) ([]*suspect, error) {
	switch {
	case c.r.opts.Where != "":
		c.rep.Note = "extra rows not looked for: --where restricts the source rows, not the target's"
		return nil, nil
	case c.ignoresDeletes():
		c.rep.Note = "extra rows not looked for: a driving entry has delete: ignore, which keeps target rows whose source rows are gone"
		return nil, nil
	}
	t := &change.Table{Schema: c.tt.Schema, Name: c.tt.Name}
	for _, i := range c.keyIdx {
		t.Columns = append(t.Columns, c.tgt.t.Columns[i])
	}
	for _, i := range c.soft {
		t.Columns = append(t.Columns, c.tgt.t.Columns[i])
	}
	rd, err := readerOf(t)
	if err != nil {
		return nil, err
	}
	n := len(c.keyIdx)
	// Keys alone are small: ten chunks' worth are read at once.
	chunk := walkFactor * c.r.opts.ChunkRows
	var out []*suspect
	var after []change.Value
	for {
		q, args := rd.walkSQL(c.tt.Key, after, chunk)
		rows, err := rd.query(ctx, c.r.target, q, args)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		for _, row := range rows {
			key := row[:n:n]
			if softNonNull(row[n:]) {
				continue
			}
			ck := c.ckey(key)
			if _, ok := c.seen[hashKey(ck)]; ok {
				continue
			}
			out = append(out, &suspect{kind: Extra, key: key, ckey: ck, since: now})
			if len(out) >= limit {
				c.rep.Truncated = true
				c.rep.Note = fmt.Sprintf("stopped the walk of the target after %d differences (--max-differences): the counts are lower bounds", limit)
				return out, nil
			}
		}
		if len(rows) < chunk {
			c.rep.ExtraChecked = true
			return out, nil
		}
		after = rows[len(rows)-1][:n:n]
	}
}

// softNonNull reports whether one of the values is not NULL.
func softNonNull(vals []change.Value) bool {
	for _, v := range vals {
		if v != nil {
			return true
		}
	}
	return false
}

// drives reports whether the driving entry d reads st.
func drives(d mapping.Driver, st *srcTable) bool {
	ok1, _ := path.Match(d.Source, st.source)
	ok2, _ := path.Match(d.Schema, st.plan.Table.Schema)
	ok3, _ := path.Match(d.Table, st.plan.Table.Name)
	return ok1 && ok2 && ok3
}

// produced returns which of the canonical keys cands some source row
// gives now. An entry whose target key copies source columns is asked
// for those rows alone; any other has its tables read again.
func (c *checker) produced(ctx context.Context, cands []*suspect) (map[string]bool, error) {
	want := make(map[string]bool, len(cands))
	keys := make([][]change.Value, len(cands))
	for i, s := range cands {
		want[s.ckey] = true
		keys[i] = s.key
	}
	found := map[string]bool{}
	add := func(exps []*expRow) {
		for _, e := range exps {
			if want[e.ckey] {
				found[e.ckey] = true
			}
		}
	}
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
		if d.KeyColumns != nil {
			for batch := range slices.Chunk(keys, c.r.opts.ChunkRows) {
				var rows []change.Row
				err := c.r.read(ctx, st.source, func() (n int, err error) {
					rows, err = st.rd.byKeys(ctx, st.db, d.KeyColumns, batch)
					return len(rows), err
				})
				if err != nil {
					return nil, err
				}
				exps, err := c.expect(ctx, st, rows)
				if err != nil {
					return nil, err
				}
				add(exps)
			}
			continue
		}
		var after []change.Value
		for {
			var rows []change.Row
			err := c.r.read(ctx, st.source, func() (n int, err error) {
				rows, err = st.plan.Read(ctx, st.db, after, c.r.opts.ChunkRows)
				return len(rows), err
			})
			if err != nil {
				return nil, err
			}
			exps, err := c.expect(ctx, st, rows)
			if err != nil {
				return nil, err
			}
			add(exps)
			if len(rows) < c.r.opts.ChunkRows {
				break
			}
			after = st.plan.KeyOf(rows[len(rows)-1])
		}
	}
	return found, nil
}
