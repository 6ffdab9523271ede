package lookup

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// quote returns name as a backtick-quoted identifier.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// sql returns the query for the sets at idx and its arguments: inSQL's
// key range when byValue (s.byValue(idx)) is set, else the table joined
// with a derived table of the parameter sets, each tagged with its index
// in s.sets. lock is the locking clause, from s.lock.
func (s *search) sql(idx []int, lock string, byValue bool) (string, []any) {
	if byValue {
		return s.inSQL(idx, lock)
	}
	var b strings.Builder
	args := make([]any, 0, len(idx)*len(s.match))
	b.WriteString("SELECT p.i")
	for i, name := range s.sel {
		b.WriteString(", ")
		b.WriteString(selectExpr(name, s.desc.Columns[i].Kind))
	}
	b.WriteString(" FROM (")
	for n, i := range idx {
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT ")
		b.WriteString(strconv.Itoa(i))
		if n == 0 {
			b.WriteString(" AS i")
		}
		for m, v := range s.sets[i] {
			text, arg := sqlparam.Placeholder(v)
			b.WriteString(", ")
			b.WriteString(text)
			if arg != nil {
				args = append(args, arg)
			}
			if n == 0 {
				b.WriteString(" AS m" + strconv.Itoa(m+1))
			}
		}
	}
	b.WriteString(") AS p JOIN ")
	b.WriteString(quote(s.table.schema) + "." + quote(s.table.table))
	b.WriteString(" AS t ON ")
	for m, name := range s.match {
		if m > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString("t." + quote(name) + " = p.m" + strconv.Itoa(m+1))
	}
	b.WriteString(" ORDER BY p.i")
	for _, name := range s.order {
		b.WriteString(", t." + quote(name))
	}
	// A locking read, so the result includes every change already seen in
	// the binlog: a server sends a transaction's events before the
	// transaction is visible to other sessions, but it holds the
	// transaction's row locks until then, and a locking read waits for
	// them (or, with NOWAIT, fails and is retried) and reads the latest
	// committed rows. In autocommit the shared locks last for this
	// statement only.
	b.WriteString(lock)
	return b.String(), args
}

// byValue reports whether the sets at idx may be searched by inSQL: one
// integer match column, integer parameters. The rows then say by their
// match value which sets they belong to, exactly, since integers compare
// the same on both sides, and the server reads a key range instead of
// parsing and joining a derived table of one SELECT per set.
func (s *search) byValue(idx []int) bool {
	if len(s.match) != 1 || !s.intMatch {
		return false
	}
	for _, i := range idx {
		switch s.sets[i][0].(type) {
		case int64, uint64:
		default:
			return false
		}
	}
	return true
}

// inSQL returns the query for the integer sets at idx: the match column
// first, then the read columns, of the rows whose match column is in the
// sets, ordered by it and the order columns.
func (s *search) inSQL(idx []int, lock string) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(idx))
	m := "t." + quote(s.match[0])
	b.WriteString("SELECT " + m)
	for i, name := range s.sel {
		b.WriteString(", ")
		b.WriteString(selectExpr(name, s.desc.Columns[i].Kind))
	}
	b.WriteString(" FROM ")
	b.WriteString(quote(s.table.schema) + "." + quote(s.table.table))
	b.WriteString(" AS t WHERE " + m + " IN (")
	for n, i := range idx {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		args = append(args, s.sets[i][0])
	}
	b.WriteString(") ORDER BY " + m)
	for _, name := range s.order {
		b.WriteString(", t." + quote(name))
	}
	b.WriteString(lock)
	return b.String(), args
}

// selectExpr reads a column of t (see decode.SelectColumn).
func selectExpr(name string, kind change.Kind) string {
	return decode.SelectColumn("t."+quote(name), kind)
}

// find prepares the searches and runs their queries, at most PoolSize at
// once, filling each search's rows. what says what the rows are for, in
// errors. Its errors are redacted (mysqlerr.Redact): a source's message
// that may quote a row value, the parameters of the query included, gives
// its code instead, whoever logs it.
func (r *Resolver) find(ctx context.Context, searches []*search, what string) error {
	return mysqlerr.Redact(r.findAll(ctx, searches, what))
}

// findAll does find's work.
func (r *Resolver) findAll(ctx context.Context, searches []*search, what string) error {
	for _, s := range searches {
		if err := s.prepare(ctx, r); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.PoolSize)
	for _, s := range searches {
		for _, idx := range s.chunks(r.opts.Batch) {
			g.Go(func() error {
				if err := r.run(gctx, s, idx); err != nil {
					r.forget(s.table)
					return fmt.Errorf("lookup %s: %s %s on source %s: %w",
						s.name, what, s.qualified(), s.table.source, err)
				}
				return nil
			})
		}
	}
	return g.Wait()
}

// run sends one query for the sets at idx under the per-query timeout,
// first without waiting for locks (see locking). A timeout satisfies
// errors.Is(err, context.DeadlineExceeded) whatever the driver reports for
// the interrupted query.
func (r *Resolver) run(ctx context.Context, s *search, idx []int) error {
	qctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	start := time.Now()
	var waited bool // the last query waited for its locks
	var last error  // the last query's error
	refused := func(err error) bool { return !waited && busy(err) }
	byValue := s.byValue(idx)
	err := retry.Do(qctx, busyBackoff, func(attempt int) error {
		lock := s.lock.nowait
		if lock == "" || attempt > busyRetries {
			lock = s.lock.wait
		}
		waited = lock == s.lock.wait
		query, args := s.sql(idx, lock, byValue)
		r.queries.Add(1)
		n, err := s.read(qctx, query, args, idx, byValue)
		if err == nil {
			r.log.Debug("lookup query", "lookup", s.name, "source", s.table.source, "table", s.qualified(),
				"sets", len(idx), "rows", n, "attempts", attempt, "elapsed", time.Since(start))
			return nil
		}
		if refused(err) {
			for _, i := range idx { // rows read before the refusal
				if s.docs != nil {
					s.docs[i] = nil
				} else {
					s.rows[i] = nil
				}
			}
		}
		last = err
		return err
	}, refused, nil)
	if err == nil {
		return nil
	}
	return r.timeoutError(ctx, qctx, last)
}

// read runs query, the sql of the sets at idx, and stores the rows in
// s.rows by their set index; it returns the number of rows read.
func (s *search) read(ctx context.Context, query string, args []any, idx []int, byValue bool) (int, error) {
	// setsOf finds the sets of a row by its first column: the set index,
	// or, searched by value, the match value.
	setsOf := s.setsByIndex()
	if byValue {
		setsOf = s.setsByValue(idx)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, 1+len(s.sel))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	got := newRowsRead(s.rows)
	docs := &docsRead{to: s.docs, set: -1}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		sets, err := setsOf(raw[0])
		if err != nil {
			return n, err
		}
		if s.docs != nil {
			for _, i := range sets {
				docs.add(i, raw[1])
			}
			n++
			continue
		}
		row := got.newRow(len(s.sel))
		for c, conv := range s.conv {
			if row[c], err = conv.convert(raw[c+1]); err != nil {
				return n, fmt.Errorf("reading column %s: %w", s.sel[c], err)
			}
		}
		for k, i := range sets {
			if k > 0 { // sets with equal values (int64 and uint64) own their rows
				row = slices.Clip(slices.Clone(row))
			}
			got.add(i, row)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := rows.Close(); err != nil {
		return n, err
	}
	got.flush()
	docs.flush()
	return n, nil
}

// setsByIndex returns the sets of a row whose first column is the index
// of its set in s.sets (the join of search.sql).
func (s *search) setsByIndex() func(first []byte) ([]int, error) {
	one := make([]int, 1)
	return func(first []byte) ([]int, error) {
		i, err := strconv.Atoi(string(first))
		if err != nil || i < 0 || i >= len(s.sets) {
			return nil, errors.New("reading the parameter index of a row: not an index of the query")
		}
		one[0] = i
		return one, nil
	}
}

// setsByValue returns the sets at idx that a row's first column, the
// integer match column, equals (the key range of inSQL): one, or two when
// an int64 and a uint64 set hold the same value. The rows come ordered by
// that value, so it walks the sets sorted by value along with them,
// searching only for a row that comes out of order.
func (s *search) setsByValue(idx []int) func(first []byte) ([]int, error) {
	type entry struct {
		v    matchValue
		sets []int
	}
	sorted := make([]entry, len(idx))
	for n, i := range idx {
		sorted[n].v = matchValueOf(s.sets[i][0])
		sorted[n].sets = idx[n : n+1 : n+1]
	}
	slices.SortFunc(sorted, func(a, b entry) int { return a.v.compare(b.v) })
	entries := sorted[:0] // one per value
	for _, e := range sorted {
		if k := len(entries) - 1; k >= 0 && entries[k].v == e.v { // an int64 and a uint64 of one value
			entries[k].sets = []int{entries[k].sets[0], e.sets[0]}
			continue
		}
		entries = append(entries, e)
	}
	next := 0
	return func(first []byte) ([]int, error) {
		v, ok := parseMatchValue(first)
		if ok {
			for next < len(entries) && entries[next].v.compare(v) < 0 {
				next++
			}
			if next == len(entries) || entries[next].v != v {
				next, ok = slices.BinarySearchFunc(entries, v, func(e entry, v matchValue) int { return e.v.compare(v) })
			}
		}
		if !ok {
			return nil, errors.New("reading the match value of a row: not a value of the query")
		}
		return entries[next].sets, nil
	}
}

// matchValue is an integer compared by value, whatever its Go type: its
// sign and magnitude.
type matchValue struct {
	neg bool
	mag uint64
}

// compare orders a and b by value.
func (a matchValue) compare(b matchValue) int {
	switch {
	case a.neg != b.neg:
		if a.neg {
			return -1
		}
		return 1
	case a.neg:
		return cmp.Compare(b.mag, a.mag)
	}
	return cmp.Compare(a.mag, b.mag)
}

// matchValueOf returns the matchValue of an int64 or uint64 parameter.
func matchValueOf(v change.Value) matchValue {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return matchValue{neg: true, mag: uint64(-v)} // two's complement: right for math.MinInt64 too
		}
		return matchValue{mag: uint64(v)}
	case uint64:
		return matchValue{mag: v}
	}
	return matchValue{}
}

// parseMatchValue reads the server's text of an integer: an optional
// minus sign and decimal digits.
func parseMatchValue(text []byte) (matchValue, bool) {
	var v matchValue
	if len(text) > 0 && text[0] == '-' {
		v.neg, text = true, text[1:]
	}
	if len(text) == 0 {
		return v, false
	}
	for _, c := range text {
		if c < '0' || c > '9' {
			return v, false
		}
		d := uint64(c - '0')
		if v.mag > (math.MaxUint64-d)/10 {
			return v, false
		}
		v.mag = v.mag*10 + d
	}
	return v, true
}

// rowsRead hands one query's rows to their sets, in query order. Rows
// take their values, and the sets their lists of rows, from a few shared
// arrays rather than one each: the query orders rows by set, so a set's
// rows are one run, which becomes its list, full (appending copies it).
type rowsRead struct {
	to [][]change.Row // the sets' lists, s.rows
	// free is what is left of the current array of values; next is the
	// number of rows the next array holds.
	free []change.Value
	next int
	// heads is the current array of row lists; the run of set since
	// heads[run:].
	heads []change.Row
	run   int
	set   int
}

func newRowsRead(to [][]change.Row) *rowsRead {
	return &rowsRead{to: to, set: -1}
}

// newRow returns a row of n values, full.
func (g *rowsRead) newRow(n int) change.Row {
	if len(g.free) < n {
		g.next = min(max(2*g.next, 16), 256)
		g.free = make([]change.Value, g.next*n)
	}
	row := g.free[:n:n]
	g.free = g.free[n:]
	return row
}

// add gives row to set.
func (g *rowsRead) add(set int, row change.Row) {
	if set != g.set {
		g.flush()
		g.set, g.run = set, len(g.heads)
	}
	if len(g.heads) == cap(g.heads) { // a new array, the run moved to its start
		n := len(g.heads) - g.run
		heads := make([]change.Row, n, max(256, 2*n))
		copy(heads, g.heads[g.run:])
		g.heads, g.run = heads, 0
	}
	g.heads = append(g.heads, row)
}

// flush gives the current run to its set: as its list, or after the rows
// it had (a set whose rows came apart).
func (g *rowsRead) flush() {
	if g.set < 0 || len(g.heads) == g.run {
		return
	}
	run := g.heads[g.run:len(g.heads):len(g.heads)]
	if g.to[g.set] == nil {
		g.to[g.set] = run
	} else {
		g.to[g.set] = append(g.to[g.set], run...)
	}
}

// docsRead writes the JSON arrays of a search's sets (search.docs) as
// their rows arrive, each row's text a string of the array, as jsonArray
// writes it from the rows' values. The query orders rows by set, so a
// set's rows are one run: its array is written in a shared buffer, and
// closed and given to the set when the run ends; a run that follows rows
// of its set given before is added to a copy of their array.
type docsRead struct {
	to       [][]byte
	buf      []byte // the current run's array is buf[run:]
	run, set int
}

// add adds text, NULL when nil, to the array of set.
func (d *docsRead) add(set int, text []byte) {
	if set != d.set {
		d.flush()
		d.set, d.run = set, len(d.buf)
		d.room(len(text))
		d.buf = append(d.buf, '[')
	} else {
		d.room(len(text))
		d.buf = append(d.buf, ',')
	}
	if text == nil {
		d.buf = append(d.buf, "null"...)
		return
	}
	// A view of text, which the driver reuses after the next row: the
	// string is copied into buf, escaped, and not kept.
	d.buf = envelope.AppendString(d.buf, unsafe.String(unsafe.SliceData(text), len(text)))
}

// room makes room in buf for n bytes of text after the current run,
// moving the run to a new buffer when it has too little: the arrays
// given before stay where they are.
func (d *docsRead) room(n int) {
	need := n + n/8 + 8 // the text, some escapes, quotes and separators
	if cap(d.buf)-len(d.buf) >= need {
		return
	}
	run := d.buf[d.run:]
	buf := make([]byte, len(run), max(64<<10, 2*(len(run)+need)))
	copy(buf, run)
	d.buf, d.run = buf, 0
}

// flush closes the current run's array and gives it to its set.
func (d *docsRead) flush() {
	if d.set < 0 {
		return
	}
	d.buf = append(d.buf, ']')
	doc := d.buf[d.run:len(d.buf):len(d.buf)]
	if prev := d.to[d.set]; prev != nil { // the set's earlier array, then this one's values
		doc = append(append(append(make([]byte, 0, len(prev)+len(doc)), prev[:len(prev)-1]...), ','), doc[1:]...)
	}
	d.to[d.set] = doc
	d.set = -1
}

// timeoutError returns err of a query run under qctx, derived from ctx by
// the per-query timeout, so that it satisfies errors.Is(err,
// context.DeadlineExceeded) when the timeout interrupted it, whatever the
// driver reported (a closed connection, for one).
func (r *Resolver) timeoutError(ctx, qctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) &&
		!errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s: %w", context.DeadlineExceeded, r.opts.Timeout, err)
	}
	return err
}
