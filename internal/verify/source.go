package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// srcTable is one driving source table of a target.
type srcTable struct {
	source string
	db     *sql.DB
	plan   *backfill.Plan
	rd     *reader
}

// qualified names the table with its source.
func (st *srcTable) qualified() string { return st.source + ":" + st.plan.Table.QualifiedName() }

// findTables lists the tables the driving entries read, on every
// configured source their patterns match, each once.
func (c *checker) findTables(ctx context.Context) error {
	names := make([]string, 0, len(c.r.sources))
	for n := range c.r.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, d := range c.drivers {
		for _, src := range names {
			if ok, _ := path.Match(d.Source, src); !ok {
				continue
			}
			tables, err := matchTables(ctx, c.r.sources[src], d)
			if err != nil {
				return fmt.Errorf("listing the tables of source %s: %w", src, err)
			}
			for _, t := range tables {
				if slices.ContainsFunc(c.tables, func(st *srcTable) bool {
					return st.source == src && st.plan.Table.QualifiedName() == t[0]+"."+t[1]
				}) {
					continue
				}
				plan, err := backfill.NewPlan(ctx, c.r.sources[src], t[0], t[1], c.r.opts.Where)
				if err != nil {
					return fmt.Errorf("planning the read of %s on source %s: %w", t[0]+"."+t[1], src, err)
				}
				rd, err := readerOf(plan.Table)
				if err != nil {
					return err
				}
				c.tables = append(c.tables, &srcTable{source: src, db: c.r.sources[src], plan: plan, rd: rd})
			}
		}
	}
	return nil
}

// matchTables returns the schema and name of each base table d's
// patterns match on db.
func matchTables(ctx context.Context, db *sql.DB, d mapping.Driver) ([][2]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var schema, table string
		if err := rows.Scan(&schema, &table); err != nil {
			return nil, err
		}
		ok1, _ := path.Match(d.Schema, schema)
		ok2, _ := path.Match(d.Table, table)
		if ok1 && ok2 {
			out = append(out, [2]string{schema, table})
		}
	}
	return out, rows.Err()
}

// expRow is the target row a source row gives.
type expRow struct {
	st     *srcTable
	srcKey []change.Value
	key    []change.Value
	ckey   string
	// cols are the compared target columns' indexes, vals their values
	// as the mapping gives them.
	cols []int
	vals []change.Value
}

// expect runs rows of st through the mappings, as the service does for a
// backfill's rows, completes them with their lookups in one batch and
// returns the target rows of c's table they give.
func (c *checker) expect(ctx context.Context, st *srcTable, rows []change.Row) ([]*expRow, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	txn := &change.Txn{Source: st.source, Changes: make([]change.RowChange, len(rows)), Last: true}
	for i, row := range rows {
		txn.Changes[i] = change.RowChange{Table: st.plan.Table, Op: change.Read, After: row}
	}
	if err := c.r.opts.Set.Apply(txn); err != nil {
		return nil, err
	}
	var ops []*change.TargetOp
	pending := false
	for i := range txn.Ops {
		op := &txn.Ops[i]
		if op.Kind != change.Upsert || op.Target.Schema != c.tt.Schema || op.Target.Name != c.tt.Name {
			continue // rejected keys, other targets' rows, re-derivations
		}
		ops = append(ops, op)
		pending = pending || len(op.Pending) > 0
	}
	if pending {
		if c.r.resolver == nil {
			return nil, fmt.Errorf("the mapping of %s has lookups but no lookup pool is open", c.name)
		}
		if err := c.r.resolver.Resolve(ctx, ops); err != nil {
			return nil, fmt.Errorf("reading the lookups of %s: %w", st.qualified(), err)
		}
	}
	out := make([]*expRow, 0, len(ops))
	// The ops of one binding share their column list: its target
	// indexes are found once.
	var lastCols []string
	var cols, keep []int
	for _, op := range ops {
		e := &expRow{st: st, srcKey: st.plan.KeyOf(rows[op.Change]), key: op.Key, ckey: c.ckey(op.Key)}
		if len(op.Columns) != len(lastCols) || (len(op.Columns) > 0 && &op.Columns[0] != &lastCols[0]) {
			var err error
			if cols, keep, err = c.targetColumns(op.Columns); err != nil {
				return nil, err
			}
			lastCols = op.Columns
		}
		e.cols, e.vals = cols, op.Values
		if len(keep) != len(op.Columns) {
			e.vals = make([]change.Value, len(keep))
			for j, i := range keep {
				e.vals[j] = op.Values[i]
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// targetColumns returns the target indexes of the compared columns of
// names (the volatile ones left out) and their indexes in names.
func (c *checker) targetColumns(names []string) (cols, keep []int, err error) {
	for i, col := range names {
		if c.volatile[col] {
			continue
		}
		at := c.tgt.t.ColumnIndex(col)
		if at < 0 {
			return nil, nil, fmt.Errorf("the mapping writes column %s, which the target table does not have", col)
		}
		cols = append(cols, at)
		keep = append(keep, i)
	}
	return cols, keep, nil
}

// errEnough stops a scan that has seen as many differences as it may hold.
var errEnough = errors.New("enough differences")

// compareWorkers is the number of chunks compared at once: the target
// rows of one are read while another's are mapped and compared, and while
// the next is read from the source (the target pool's two connections
// bound the reads at once).
const compareWorkers = 3

// scan reads st in key chunks and compares the target rows each gives;
// it returns the differences seen, to be checked again, stopping once
// there are limit of them (rep.Truncated). The next chunks are read from
// the source while others are being compared.
func (c *checker) scan(ctx context.Context, st *srcTable, limit int) ([]*suspect, error) {
	g, gctx := errgroup.WithContext(ctx)
	type chunk struct {
		rows []change.Row
		// lo and hi bound the chunk's keys, (lo, hi], with intervals.
		lo, hi change.Value
	}
	chunks := make(chan chunk, compareWorkers)
	intervals := c.byIntervals()
	g.Go(func() error {
		defer close(chunks)
		var after []change.Value
		for {
			var rows []change.Row
			err := c.r.read(gctx, st.source, func() (n int, err error) {
				rows, err = st.plan.Read(gctx, st.db, after, c.r.opts.ChunkRows)
				return len(rows), err
			})
			if err != nil {
				return err
			}
			ch := chunk{rows: rows}
			if after != nil {
				ch.lo = after[0]
			}
			if len(rows) == c.r.opts.ChunkRows {
				ch.hi = st.plan.KeyOf(rows[len(rows)-1])[0]
			}
			select {
			case chunks <- ch:
			case <-gctx.Done():
				return gctx.Err()
			}
			if len(rows) < c.r.opts.ChunkRows {
				return nil
			}
			after = st.plan.KeyOf(rows[len(rows)-1])
		}
	})
	var out []*suspect
	for range compareWorkers {
		g.Go(func() error {
			for {
				var ch chunk
				var ok bool
				select {
				case ch, ok = <-chunks:
				case <-gctx.Done():
					return gctx.Err()
				}
				if !ok {
					return nil
				}
				exps, err := c.expect(gctx, st, ch.rows)
				if err != nil {
					return err
				}
				var sus []*suspect
				if intervals {
					sus, err = c.compareInterval(gctx, exps, ch.lo, ch.hi, limit)
				} else {
					sus, err = c.compare(gctx, exps, true)
				}
				if err != nil {
					return err
				}
				c.mu.Lock()
				c.rep.Compared += len(exps)
				out = append(out, sus...)
				enough := len(out) >= limit
				c.mu.Unlock()
				if enough {
					return errEnough
				}
			}
		})
	}
	if err := g.Wait(); errors.Is(err, errEnough) {
		c.rep.Truncated = true
	} else if err != nil {
		return nil, err
	}
	c.rep.ExtraChecked = intervals && !c.rep.Truncated
	return out, nil
}
