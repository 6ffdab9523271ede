package lookup

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
	docs := &docsRead{to: s.docs, sets: len(idx), set: -1}
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
