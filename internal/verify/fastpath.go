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

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// The checksum fast path.
//
// A mapping that only copies columns of one source table (a plain
// projection: no expressions, filter, lookups, merges or owns:) keyed by
// one integer column the target key copies is compared by checksums. The
// source's keys are cut into chunks of ChecksumRows keys (an index-only
// read finds each chunk's last key); both servers compute, at once,
// COUNT(*) and BIT_XOR of a 64-bit hash of every row of the chunk's key
// interval, and only a chunk whose figures differ is read and compared
// row by row (with its extra target rows), its differences re-checked as
// any other. So a difference is always reported from rows, never from a
// checksum.
//
// The row hash is the same expression on both servers, over the same
// columns in the same order (the target's names on one side, the source
// columns they copy on the other): CRC32 and CRC32C of
// CONCAT_WS('#', ...) side by side in 64 bits, every text value but the
// last preceded by its length (so no '#' inside a value can shift the
// others), a FLOAT or DOUBLE as "+ 0e0" prints it with every digit, and
// a NULL mask at the end (CONCAT_WS skips NULLs: NULL, '' and 'NULL' all
// differ). Text is read as bytes when the plain form fails (collations
// CONCAT_WS cannot mix). A column pair is only hashed when both columns
// print their values the same way (hashClass): equal texts then mean
// equal values for the row comparison too, so equal checksums never hide
// a difference it would report. Otherwise the table is compared row by
// row. A row too long for CONCAT_WS (max_allowed_packet) has no text on
// either side: where a column can hold that much, such rows are counted
// and their chunk compared row by row (see sums).
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
	// srcTable and tgtTable are the quoted tables; srcCols and tgtCols
	// the hashed columns, in the same order.
	srcTable, tgtTable string
	srcCols, tgtCols   []change.Column
	// srcSum and tgtSum compute a chunk's figures on each side, with the
	// interval's condition appended.
	srcSum, tgtSum string
	// tgtKeys reads target keys alone, for extra rows.
	tgtKeys *reader
}

// fastPlan returns the checksum plan of c's table, or why there is none.
func (c *checker) fastPlan(ctx context.Context) (*fastPlan, string, error) {
	fp, why := c.projection()
	if fp == nil {
		return nil, why, nil
	}
	// The texts of columns with collations CONCAT_WS cannot mix are read
	// as bytes; that costs more, so only when the plain form fails.
	for _, cast := range []bool{false, true} {
		fp.sums(cast)
		errSrc := c.probe(ctx, fp.st.db, fp.srcSum)
		errTgt := c.probe(ctx, c.r.target, fp.tgtSum)
		if errSrc == nil && errTgt == nil {
			if cast {
				c.r.opts.Log.Debug("hashing text as bytes: CONCAT_WS cannot mix its collations", "target", c.name)
			}
			return fp, "", nil
		}
		if cast {
			err := errors.Join(errSrc, errTgt)
			var me *mysql.MySQLError
			if !errors.As(err, &me) {
				return nil, "", fmt.Errorf("checking the checksum query: %w", err)
			}
			return nil, "the checksum query fails: " + mysqlerr.Redact(err).Error(), nil
		}
	}
	return nil, "", errors.New("unreachable")
}

// sums sets the checksum queries of fp. CONCAT_WS gives NULL for a row
// longer than max_allowed_packet, which would hash alike on both sides:
// where a column may hold that much, the rows of NULL text are counted,
// and a chunk with any is compared row by row.
func (fp *fastPlan) sums(cast bool) {
	nulls := "0"
	if slices.ContainsFunc(fp.srcCols, large) || slices.ContainsFunc(fp.tgtCols, large) {
		nulls = "COALESCE(SUM(s IS NULL), 0)"
	}
	fp.srcSum = "SELECT " + hashAgg + ", " + nulls + " FROM (SELECT " + rowText(fp.srcCols, cast) + " AS s FROM " + fp.srcTable
	fp.tgtSum = "SELECT " + hashAgg + ", " + nulls + " FROM (SELECT " + rowText(fp.tgtCols, cast) + " AS s FROM " + fp.tgtTable
}

// large reports whether a column may hold values of many megabytes.
func large(col change.Column) bool {
	typ := strings.ToLower(col.Type)
	for _, p := range []string{"mediumtext", "longtext", "mediumblob", "longblob"} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return col.Kind == change.KindJSON || col.Kind == change.KindGeometry
}

// probe runs a checksum query over no rows.
func (c *checker) probe(ctx context.Context, db *sql.DB, sum string) error {
	var n, nulls int64
	var x uint64
	return db.QueryRowContext(ctx, sum+" WHERE FALSE) x").Scan(&n, &x, &nulls)
}

// projection returns the checksum plan of c's table without its queries,
// or why there is none.
func (c *checker) projection() (*fastPlan, string) {
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
		srcTable: quote(src.Schema) + "." + quote(src.Name), tgtTable: quote(tgt.Schema) + "." + quote(tgt.Name),
		srcCols: srcCols, tgtCols: tgtCols, tgtKeys: rd}, ""
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
// CONCAT_WS('#', v1, LENGTH(t2), t2, ..., tN, nullmask). Every text value
// but the last is preceded by its length; cast reads text as bytes, for
// tables whose text columns have collations CONCAT_WS cannot mix.
func rowText(cols []change.Column, cast bool) string {
	last := -1
	for i, col := range cols {
		if textKind(col.Kind) {
			last = i
		}
	}
	var b strings.Builder
	b.WriteString("CONCAT_WS('#'")
	for i, col := range cols {
		q := quote(col.Name)
		switch {
		case textKind(col.Kind):
			if i != last {
				b.WriteString(", LENGTH(" + q + ")")
			}
			if cast {
				q = "CAST(" + q + " AS BINARY)"
			}
		case col.Kind == change.KindFloat || col.Kind == change.KindDouble:
			// As the rows are read: every digit of the value.
			q = "(" + q + " + 0e0)"
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

// fastChunk is one chunk's key interval and the figures of each side.
type fastChunk struct {
	// lo and hi bound the interval (lo, hi]; nil is no bound.
	lo, hi change.Value
	// sn, sx and sNulls are the source's count, hash and rows without
	// text, set before srcDone is closed; tn, tx and tNulls the target's,
	// before tgtDone.
	sn, tn           int64
	sx, tx           uint64
	sNulls, tNulls   int64
	srcDone, tgtDone chan struct{}
}

// nextBound returns the key ChecksumRows keys after lo (nil: from the
// first key) on the source: the end of the chunk that starts after lo;
// nil when fewer keys follow, the chunk then being the last.
func (c *checker) nextBound(ctx context.Context, fp *fastPlan, lo change.Value) (change.Value, error) {
	st := fp.st
	var args []any
	where := ""
	if lo != nil {
		text, arg := sqlparam.Placeholder(lo)
		where, args = " WHERE "+fp.srcKey+" > "+text, append(args, arg)
	}
	q := "SELECT " + fp.srcKey + " FROM " + fp.srcTable + " FORCE INDEX (" + quote(st.plan.KeyName) + ")" + where +
		" ORDER BY " + fp.srcKey + " LIMIT 1 OFFSET " + strconv.Itoa(c.r.opts.ChecksumRows-1)
	var hi change.Value
	err := c.r.read(ctx, st.source, func() (int, error) {
		var key string
		switch err := st.db.QueryRowContext(ctx, q, args...).Scan(&key); {
		case errors.Is(err, sql.ErrNoRows):
			return 0, nil
		case err != nil:
			return 0, fmt.Errorf("reading the chunk bounds of %s: %w", st.qualified(), err)
		}
		v, err := parseKey(key, fp.unsigned)
		if err != nil {
			return 0, fmt.Errorf("reading the chunk bounds of %s: %w", st.qualified(), err)
		}
		hi = v
		return 0, nil
	})
	return hi, err
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

// checksum computes the figures of a chunk's interval with the query
// sum over key column key on db: its rows, their hash, and how many rows
// had no text to hash.
func checksum(ctx context.Context, db *sql.DB, sum, key string, ch *fastChunk) (n int64, x uint64, nulls int64, err error) {
	where, args := interval(key, ch.lo, ch.hi)
	err = db.QueryRowContext(ctx, sum+where+") x", args...).Scan(&n, &x, &nulls)
	return n, x, nulls, err
}

// fastAhead is how many chunks either side may checksum ahead of the
// comparison, so that neither waits for the other chunk by chunk.
const fastAhead = 4

// sideSum computes the figures of the chunks of in on one side, the
// source's when source is set, else the target's, and marks each chunk's
// side done.
func (c *checker) sideSum(ctx context.Context, fp *fastPlan, source bool, in <-chan *fastChunk) error {
	for {
		var ch *fastChunk
		var ok bool
		select {
		case ch, ok = <-in:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return nil
		}
		if !source {
			var err error
			if ch.tn, ch.tx, ch.tNulls, err = checksum(ctx, c.r.target, fp.tgtSum, fp.tgtKey, ch); err != nil {
				return fmt.Errorf("checksumming a chunk of the target: %w", err)
			}
			close(ch.tgtDone)
			continue
		}
		err := c.r.read(ctx, fp.st.source, func() (int, error) {
			var err error
			if ch.sn, ch.sx, ch.sNulls, err = checksum(ctx, fp.st.db, fp.srcSum, fp.srcKey, ch); err != nil {
				return 0, fmt.Errorf("checksumming a chunk of %s: %w", fp.st.qualified(), err)
			}
			return int(ch.sn), nil
		})
		if err != nil {
			return err
		}
		close(ch.srcDone)
	}
}

// fastScan compares the table of fp chunk by chunk: each server
// checksums the chunks on its own, up to fastAhead ahead of the
// comparison; a chunk that differs is compared row by row. It returns the
// differences seen, stopping once there are limit of them.
func (c *checker) fastScan(ctx context.Context, fp *fastPlan, limit int) ([]*suspect, error) {
	g, gctx := errgroup.WithContext(ctx)
	order := make(chan *fastChunk, fastAhead)
	toSrc, toTgt := make(chan *fastChunk, fastAhead), make(chan *fastChunk, fastAhead)
	send := func(to chan<- *fastChunk, ch *fastChunk) error {
		select {
		case to <- ch:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	}
	g.Go(func() error {
		defer close(order)
		defer close(toSrc)
		defer close(toTgt)
		var lo change.Value
		for {
			hi, err := c.nextBound(gctx, fp, lo)
			if err != nil {
				return err
			}
			ch := &fastChunk{lo: lo, hi: hi, srcDone: make(chan struct{}), tgtDone: make(chan struct{})}
			for _, to := range []chan<- *fastChunk{order, toSrc, toTgt} {
				if err := send(to, ch); err != nil {
					return err
				}
			}
			if hi == nil {
				return nil
			}
			lo = hi
		}
	})
	g.Go(func() error { return c.sideSum(gctx, fp, true, toSrc) })
	g.Go(func() error { return c.sideSum(gctx, fp, false, toTgt) })
	var out []*suspect
	g.Go(func() error {
		for {
			var ch *fastChunk
			var ok bool
			select {
			case ch, ok = <-order:
			case <-gctx.Done():
				return gctx.Err()
			}
			if !ok {
				return nil
			}
			for _, done := range []chan struct{}{ch.srcDone, ch.tgtDone} {
				select {
				case <-done:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			c.rep.Chunks++
			if ch.sn == ch.tn && ch.sx == ch.tx && ch.sNulls == 0 && ch.tNulls == 0 {
				c.rep.Compared += int(ch.sn)
				continue
			}
			c.rep.ChunksDiffering++
			sus, err := c.rowChunk(gctx, fp, ch, limit-len(out))
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
// interval no source row gave, as extra rows. It stops once it has seen
// limit differences.
func (c *checker) rowChunk(ctx context.Context, fp *fastPlan, ch *fastChunk, limit int) ([]*suspect, error) {
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
	var out []*suspect
	for batch := range slices.Chunk(rows, c.r.opts.ChunkRows) {
		exps, err := c.expect(ctx, st, batch)
		if err != nil {
			return nil, err
		}
		sus, err := c.compare(ctx, exps, true)
		if err != nil {
			return nil, err
		}
		c.rep.Compared += len(exps)
		out = append(out, sus...)
		if len(out) >= limit {
			return out, nil
		}
	}
	now := time.Now()
	err = c.pages(ctx, fp.tgtKeys, 0, ch.lo, ch.hi, func(keys []change.Row) bool {
		for _, k := range keys {
			ck := c.ckey(k)
			if _, ok := c.seen[hashKey(ck)]; !ok {
				out = append(out, &suspect{kind: Extra, key: k, ckey: ck, since: now})
			}
			if len(out) >= limit {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
