package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// The checksum fast path.
//
// A mapping that only copies columns of one source table (a plain
// projection: no expressions, filter, lookups, merges or owns:) keyed by
// one integer column the target key copies is compared by checksums: the
// source table is cut into chunks of ChunkRows keys, each server computes
// COUNT(*) and BIT_XOR of a 64-bit hash of every row of the chunk's key
// interval, and only a chunk whose figures differ is read and compared
// row by row (with its extra target rows), its differences re-checked as
// any other. So a difference is always reported from rows, never from a
// checksum.
//
// The row hash is the same expression on both servers, over the same
// columns in the same order (the target's names on one side, the source
// columns they copy on the other, a FLOAT or DOUBLE as "+ 0e0" prints it
// with every digit): CRC32 and CRC32C of CONCAT_WS('#', ...)
// side by side in 64 bits, each text value preceded by its length (so no
// '#' inside a value can shift the others) and cast to bytes, and a NULL
// mask at the end (CONCAT_WS skips NULLs: NULL, '' and 'NULL' all differ).
// A column pair is only hashed when both columns print their values the
// same way (hashClass): equal texts then mean equal values for the row
// comparison too, so equal checksums never hide a difference it would
// report. Otherwise the table is compared row by row.
//
// The chunk intervals cover every key: the first has no lower bound and
// the last no upper bound, so target rows before the first source key or
// after the last are in a chunk too, and the target is not walked.

// Paths a table is compared by.
const (
	PathChecksum = "checksum"
	PathRows     = "rows"
)

// fastPlan is the checksum comparison of one source table with the target.
type fastPlan struct {
	st *srcTable
	// srcKey and tgtKey are the quoted key columns; unsigned says the key
	// values are read as uint64.
	srcKey, tgtKey string
	unsigned       bool
	// srcHash and tgtHash are the row's text to hash on each side.
	srcHash, tgtHash string
	// tgtKeys reads target keys alone, for extra rows.
	tgtKeys *reader
}

// fastPlan returns the checksum plan of c's table, or why there is none.
func (c *checker) fastPlan() (*fastPlan, string) {
	switch {
	case c.r.opts.NoFastPath:
		return nil, "the fast path is turned off"
	case c.r.opts.Where != "":
		return nil, "--where restricts the source rows"
	case len(c.tables) != 1:
		return nil, fmt.Sprintf("%d source tables feed it", len(c.tables))
	}
	proj, why := c.r.opts.Set.Projection(c.name)
	if proj == nil {
		return nil, why
	}
	st := c.tables[0]
	src, tgt := st.plan.Table, c.tgt.t
	keys := st.plan.KeyNames()
	if len(keys) != 1 || len(c.tt.Key) != 1 || len(c.drivers) != 1 ||
		!slices.Equal(c.drivers[0].KeyColumns, keys) {
		return nil, "the fast path needs a key of one integer column, copied from the source table's"
	}
	sk, tk := src.Columns[src.ColumnIndex(keys[0])], tgt.Columns[c.keyIdx[0]]
	if !intKey(sk.Kind) || sk.Kind != tk.Kind {
		return nil, "the fast path needs a key of one integer column, copied from the source table's"
	}
	names := make([]string, len(src.Columns))
	for i, col := range src.Columns {
		names[i] = col.Name
	}
	copies := proj.Copies(names)
	targets := make([]string, 0, len(copies))
	for t := range copies {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	var srcCols, tgtCols []change.Column
	for _, t := range targets {
		ti, si := tgt.ColumnIndex(t), src.ColumnIndex(copies[t])
		if ti < 0 || si < 0 {
			return nil, fmt.Sprintf("column %s is not in both tables", t)
		}
		a, b := hashClass(src.Columns[si]), hashClass(tgt.Columns[ti])
		if a == "" || a != b {
			return nil, fmt.Sprintf("column %s is %s on the source and %s on the target, which may print alike values differently",
				t, src.Columns[si].Type, tgt.Columns[ti].Type)
		}
		srcCols = append(srcCols, src.Columns[si])
		tgtCols = append(tgtCols, tgt.Columns[ti])
	}
	kt := &change.Table{Schema: tgt.Schema, Name: tgt.Name, Columns: []change.Column{tk}}
	rd, err := readerOf(kt)
	if err != nil {
		return nil, err.Error()
	}
	return &fastPlan{st: st, srcKey: quote(sk.Name), tgtKey: quote(tk.Name), unsigned: sk.Kind == change.KindUint,
		srcHash: rowText(srcCols), tgtHash: rowText(tgtCols), tgtKeys: rd}, ""
}

// intKey reports whether a key of kind k is compared as a number.
func intKey(k change.Kind) bool { return k == change.KindInt || k == change.KindUint }

// hashClass returns the class of a column's values as the server prints
// them: two columns of the same class print the same value the same way,
// and different values differently. Empty for a column not hashed.
func hashClass(col change.Column) string {
	typ := strings.ToLower(col.Type)
	switch col.Kind {
	case change.KindInt, change.KindUint, change.KindYear:
		return "int"
	case change.KindFloat, change.KindDouble, change.KindBit, change.KindJSON, change.KindGeometry:
		return col.Kind.String()
	case change.KindDecimal:
		return "decimal," + strconv.Itoa(decimalScale(typ))
	case change.KindDate:
		return "date"
	case change.KindTime:
		return "time," + strconv.Itoa(fraction(typ))
	case change.KindDateTime, change.KindTimestamp:
		// Both print as text in the session's UTC.
		return "datetime," + strconv.Itoa(fraction(typ))
	case change.KindString:
		if col.Charset == "" {
			return ""
		}
		return "string," + col.Charset
	case change.KindEnum, change.KindSet:
		return typ
	case change.KindBytes:
		return "bytes"
	}
	return ""
}

// textKind reports whether a column of kind k holds text that may hold
// the separator.
func textKind(k change.Kind) bool {
	switch k {
	case change.KindString, change.KindBytes, change.KindJSON, change.KindEnum, change.KindSet,
		change.KindBit, change.KindGeometry:
		return true
	}
	return false
}

// rowText returns the text hashed for a row of cols:
// CONCAT_WS('#', v1, LENGTH(t2), CAST(t2 AS BINARY), ..., nullmask).
func rowText(cols []change.Column) string {
	var b strings.Builder
	b.WriteString("CONCAT_WS('#'")
	for _, col := range cols {
		q := quote(col.Name)
		switch {
		case textKind(col.Kind):
			b.WriteString(", LENGTH(" + q + "), CAST(" + q + " AS BINARY)")
			continue
		case col.Kind == change.KindFloat || col.Kind == change.KindDouble:
			// As the rows are read: every digit of the value.
			b.WriteString(", (" + q + " + 0e0)")
			continue
		}
		b.WriteString(", " + q)
	}
	b.WriteString(", CONCAT(''")
	for _, col := range cols {
		b.WriteString(", ISNULL(" + quote(col.Name) + ")")
	}
	b.WriteString("))")
	return b.String()
}

// hashAgg aggregates the row texts s of a chunk: its count and the XOR
// of the rows' 64-bit hashes.
const hashAgg = "COUNT(*), COALESCE(BIT_XOR((CRC32(s) << 32) | CRC32C(s)), 0)"

// fastChunk is one chunk's key interval and the source's figures.
type fastChunk struct {
	// lo and hi bound the interval (lo, hi]; nil is no bound.
	lo, hi change.Value
	count  int64
	xor    uint64
}

// sourceChunk computes the figures of the next chunk of the source after
// lo (nil: from the first key) and the chunk's last key; hi is left nil
// when it is the last chunk.
func (c *checker) sourceChunk(ctx context.Context, fp *fastPlan, lo change.Value) (*fastChunk, error) {
	st := fp.st
	var args []any
	where := ""
	if lo != nil {
		text, arg := sqlparam.Placeholder(lo)
		where, args = " WHERE "+fp.srcKey+" > "+text, append(args, arg)
	}
	q := "SELECT " + hashAgg + ", MAX(k) FROM (SELECT " + fp.srcKey + " AS k, " + fp.srcHash + " AS s FROM " +
		quote(st.plan.Table.Schema) + "." + quote(st.plan.Table.Name) + " FORCE INDEX (" + quote(st.plan.KeyName) + ")" +
		where + " ORDER BY " + fp.srcKey + " LIMIT " + strconv.Itoa(c.r.opts.ChunkRows) + ") x"
	ch := &fastChunk{lo: lo}
	err := c.r.read(ctx, st.source, func() (int, error) {
		row := st.db.QueryRowContext(ctx, q, args...)
		var maxKey sql.NullString
		if err := row.Scan(&ch.count, &ch.xor, &maxKey); err != nil {
			return 0, fmt.Errorf("checksumming a chunk of %s: %w", st.qualified(), err)
		}
		if ch.count < int64(c.r.opts.ChunkRows) || !maxKey.Valid {
			return int(ch.count), nil
		}
		v, err := parseKey(maxKey.String, fp.unsigned)
		if err != nil {
			return int(ch.count), fmt.Errorf("checksumming a chunk of %s: %w", st.qualified(), err)
		}
		ch.hi = v
		return int(ch.count), nil
	})
	return ch, err
}

// parseKey reads an integer key value.
func parseKey(s string, unsigned bool) (change.Value, error) {
	if unsigned {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading key %q: %w", s, err)
		}
		return v, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("reading key %q: %w", s, err)
	}
	return v, nil
}

// interval returns the condition selecting key column col in (lo, hi],
// and its arguments; empty when unbounded.
func interval(col string, lo, hi change.Value) (string, []any) {
	var conds []string
	var args []any
	for _, b := range []struct {
		v  change.Value
		op string
	}{{lo, " > "}, {hi, " <= "}} {
		if b.v == nil {
			continue
		}
		text, arg := sqlparam.Placeholder(b.v)
		conds = append(conds, col+b.op+text)
		if arg != nil {
			args = append(args, arg)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// targetChunk computes the target's figures over a chunk's interval.
func (c *checker) targetChunk(ctx context.Context, fp *fastPlan, ch *fastChunk) (int64, uint64, error) {
	where, args := interval(fp.tgtKey, ch.lo, ch.hi)
	q := "SELECT " + hashAgg + " FROM (SELECT " + fp.tgtHash + " AS s FROM " + quote(c.tt.Schema) + "." + quote(c.tt.Name) + where + ") x"
	var n int64
	var x uint64
	if err := c.r.target.QueryRowContext(ctx, q, args...).Scan(&n, &x); err != nil {
		return 0, 0, fmt.Errorf("checksumming a chunk of the target: %w", err)
	}
	return n, x, nil
}

// fastScan compares the table of fp chunk by chunk: the source's figures
// of the next chunk are computed while the target's of one are; a chunk
// that differs is compared row by row. It returns the differences seen,
// stopping once there are limit of them.
func (c *checker) fastScan(ctx context.Context, fp *fastPlan, limit int) ([]*suspect, error) {
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan *fastChunk, 2)
	g.Go(func() error {
		defer close(chunks)
		var lo change.Value
		for {
			ch, err := c.sourceChunk(gctx, fp, lo)
			if err != nil {
				return err
			}
			select {
			case chunks <- ch:
			case <-gctx.Done():
				return gctx.Err()
			}
			if ch.hi == nil {
				return nil
			}
			lo = ch.hi
		}
	})
	var out []*suspect
	g.Go(func() error {
		for {
			var ch *fastChunk
			var ok bool
			select {
			case ch, ok = <-chunks:
			case <-gctx.Done():
				return gctx.Err()
			}
			if !ok {
				return nil
			}
			n, x, err := c.targetChunk(gctx, fp, ch)
			if err != nil {
				return err
			}
			c.rep.Chunks++
			if n == ch.count && x == ch.xor {
				c.rep.Compared += int(n)
				continue
			}
			c.rep.ChunksDiffering++
			sus, err := c.rowChunk(gctx, fp, ch)
			if err != nil {
				return err
			}
			out = append(out, sus...)
			if len(out) >= limit {
				return errEnough
			}
		}
	})
	if err := g.Wait(); errors.Is(err, errEnough) {
		c.rep.Truncated = true
	} else if err != nil {
		return nil, err
	}
	return out, nil
}

// rowChunk compares a chunk whose checksums differ row by row: the source
// rows of its interval through the mapping, then the target rows of the
// interval no source row gave, as extra rows.
func (c *checker) rowChunk(ctx context.Context, fp *fastPlan, ch *fastChunk) ([]*suspect, error) {
	st := fp.st
	where, args := interval(fp.srcKey, ch.lo, ch.hi)
	var rows []change.Row
	err := c.r.read(ctx, st.source, func() (n int, err error) {
		rows, err = st.rd.query(ctx, st.db, st.rd.sel+where, args)
		return len(rows), err
	})
	if err != nil {
		return nil, err
	}
	exps, err := c.expect(ctx, st, rows)
	if err != nil {
		return nil, err
	}
	out, err := c.compare(ctx, exps, true)
	if err != nil {
		return nil, err
	}
	c.rep.Compared += len(exps)
	where, args = interval(fp.tgtKey, ch.lo, ch.hi)
	keys, err := fp.tgtKeys.query(ctx, c.r.target, fp.tgtKeys.sel+where, args)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, k := range keys {
		ck := c.ckey(k)
		if _, ok := c.seen[hashKey(ck)]; !ok {
			out = append(out, &suspect{kind: Extra, key: k, ckey: ck, since: now})
		}
	}
	return out, nil
}
