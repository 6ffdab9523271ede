package verify

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Key intervals.
//
// When a target's only driving entry reads one table and its key copies
// that table's key, one integer column, a chunk of source rows read in
// key order covers a key interval of the target too: the interval after
// the previous chunk's last key up to its own last key (the first chunk
// from no lower bound, the last to no upper bound). Each chunk then reads
// the target rows of its interval with one range read: they are both the
// rows to compare and, those no source row gave, the extra rows, so the
// target is not walked afterwards. Integers have no collation, so rows
// and keys are paired by their exact encoding.

// byIntervals reports whether c's table is compared by key intervals.
func (c *checker) byIntervals() bool {
	if c.r.opts.Where != "" || len(c.tables) != 1 || len(c.drivers) != 1 || len(c.keyIdx) != 1 || c.ignoresDeletes() {
		return false
	}
	st := c.tables[0]
	keys := st.plan.KeyNames()
	if len(keys) != 1 || !slices.Equal(c.drivers[0].KeyColumns, keys) {
		return false
	}
	sk := st.plan.Table.Columns[st.plan.Table.ColumnIndex(keys[0])]
	return intKey(sk.Kind) && intKey(c.tgt.t.Columns[c.keyIdx[0]].Kind)
}

// compareInterval compares the expected rows of a chunk whose source keys
// lie in (lo, hi] (nil: unbounded) with the target rows of that interval
// and returns the differences, extra rows included, at most limit extra
// rows (an open interval may hold any number).
func (c *checker) compareInterval(ctx context.Context, exps []*expRow, lo, hi change.Value, limit int) ([]*suspect, error) {
	want := make(map[string]int, len(exps))
	for i, e := range exps {
		want[e.ckey] = i
	}
	got := make([]change.Row, len(exps))
	var extras []*suspect
	now := time.Now()
	err := c.pages(ctx, c.tgt, c.keyIdx[0], lo, hi, func(rows []change.Row) bool {
		for _, row := range rows {
			key := c.rowKey(row)
			ck := c.ckey(key)
			if i, ok := want[ck]; ok {
				got[i] = row
				continue
			}
			if !c.softDeleted(row) && len(extras) < limit {
				extras = append(extras, &suspect{kind: Extra, key: key, ckey: ck, since: now})
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return append(c.differences(exps, got), extras...), nil
}

// pages reads the target rows of rd (columns of the target table, the
// integer key at index at) whose key lies in (lo, hi], in key order, ten
// chunks' worth at a time, and hands each page to more until it returns
// false.
func (c *checker) pages(ctx context.Context, rd *reader, at int, lo, hi change.Value, more func([]change.Row) bool) error {
	col := quote(c.tt.Key[0])
	page := walkFactor * c.r.opts.ChunkRows
	for {
		where, args := interval(col, lo, hi)
		rows, err := rd.query(ctx, c.r.target, rd.sel+where+" ORDER BY "+col+" LIMIT "+strconv.Itoa(page), args)
		if err != nil {
			return err
		}
		if !more(rows) || len(rows) < page {
			return nil
		}
		lo = rows[len(rows)-1][at]
	}
}
