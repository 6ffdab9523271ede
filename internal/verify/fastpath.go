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
// columns they copy on the other): the product of CRC32 and CRC32C of
// CONCAT_WS('#', ...) (see hashAgg), every text value but the
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
