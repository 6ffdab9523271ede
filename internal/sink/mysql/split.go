package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Split runs.
//
// A table with a unique key besides the one operations are keyed by goes
// to one worker in source order (see the package comment), so one
// connection writes all of it, statement after statement, uncompacted. A
// large run of such a worker is written instead by up to Workers
// connections at once: its operations are partitioned by table and key,
// each part is compacted (compact.go) and written in a transaction of its
// own, and the parts commit only once every one of them has run without
// an error. A shorter run with statements to merge is written the same
// way in one part, compacted, on one connection, whose session waits for
// locks as any worker's does: no other part holds them. That leaves the
// rows as one connection writing them in source order would have:
//
//   - every operation writes only the row its key names: an upsert that
//     meets another row on a unique key fails (the key guard, sql.go),
//     and updates and deletes find their row by key;
//   - compaction leaves each row as its operations in source order do; it
//     only reorders operations of different rows;
//   - parts that ran without an error and without waiting for each other
//     have each brought their rows to those states, a unique value being
//     checked at every write, and touched no row of another part: the
//     rows are what the source order leaves, and every unique key holds;
//   - two parts that meet, on one row (string keys equal under the
//     collation) or on a unique value one frees and the other takes, meet
//     on a lock of the other's open transaction. The parts' sessions do
//     not wait for locks (innodb_lock_wait_timeout 0 on MariaDB, 1 s on
//     MySQL, whose least it is), so such a part fails rather than wait
//     for a commit that waits for it.
//
// Any error rolls every part back, and the run is written whole by one
// connection, in order, as it is without splitting: a collision is then
// handled by OnConflict (conflict.go), a permanent error by OnError. So
// only a collision that the source order meets and some reordering does
// not is left unreported: a value one row frees in the run and another,
// from another source, took before it in the run (a user moved between
// two shards, read in the other order). The rows then end as the sources
// left them, where one connection would have handed the collision to
// OnConflict. A run that fell back makes its worker write its next runs
// whole, for 4 runs and twice as many after each fallback in a row, up to
// 1,024, so a workload that keeps swapping unique values pays little for
// trying.
//
// The worker's memory of its last writes (unchanged.go) is brought up to
// the end of the run, in order, before the parts run, and forgotten for
// the run's rows when it falls back, as after any failed attempt. A
// crash between the parts' commits leaves some committed, as it can
// leave some workers' batches committed: the restart replays the run.
// One worker of the sink splits a run over several connections at a
// time, while the others write theirs in one part, and the sink's
// connection pool holds Workers connections more for it.
// Options.SplitRuns turns it all off.

// minSplitOps is the fewest operations of a run a part may get: a run is
// split into at most len/minSplitOps parts, and only into two or more. A
// variable so tests can lower it.
var minSplitOps = 128

// maxSplitPenalty bounds the runs written whole after fallbacks in a row.
const maxSplitPenalty = 1024

// splitState is one worker's splitting: the parts of its runs, reused,
// and the runs still to write whole after a fallback.
type splitState struct {
	parts   []batch
	skip    int
	penalty int
}

// splitShared is the sink's part of splitting.
type splitShared struct {
	// mu is held by the one worker splitting a run.
	mu sync.Mutex
	// nowait and restore are the parts' innodb_lock_wait_timeout and the
	// sessions' own, read once (under mu).
	nowait, restore string
	// runs counts the runs written split, fallbacks those rolled back and
	// written whole.
	runs, fallbacks atomic.Uint64
}

// splitParts returns how many parts the run items of the batch, in
// stmts statements, may be written in, 0 when it is written whole: a run
// of a batch that keeps its order (a table with another unique key), of
// upserts, updates and deletes only, outside a fallback's penalty; in
// several parts when it is long enough, else in one, compacted, when it
// has statements to merge.
func (w *worker) splitParts(items []item, stmts int) int {
	if !w.ordered || w.s.opts.SplitRuns == SplitOff {
		return 0
	}
	n := min(w.s.opts.Workers, len(items)/minSplitOps)
	if n < 2 {
		if stmts < 2 || w.b.breaks == 0 {
			return 0 // nothing to compact
		}
		n = 1
	}
	if w.split.skip > 0 {
		w.split.skip--
		return 0
	}
	for i := range items {
		switch items[i].op.Kind {
		case change.Upsert, change.DeleteRow, change.UpdateRow:
		default:
			return 0
		}
	}
	return n
}

// execSplitOrWhole runs stmts split into n parts when it can; it reports
// whether they ran. After a failure it has forgotten what the split
// remembered, so the caller writes the run whole.
func (w *worker) execSplitOrWhole(ctx context.Context, stmts []stmt, n int) bool {
	start := time.Now()
	err := w.execSplit(ctx, stmts, n)
	if err == nil {
		w.s.split.runs.Add(1)
		w.split.penalty /= 2
		return true
	}
	w.last.begin(w.s.barriers.Load()) // drops the rows the split remembered
	w.s.split.fallbacks.Add(1)
	w.split.penalty = min(max(2*w.split.penalty, 4), maxSplitPenalty)
	w.split.skip = w.split.penalty
	w.log.Debug("writing a split run whole", "ops", stmts[len(stmts)-1].end-stmts[0].start, "parts", n,
		"took", time.Since(start), "code", errorCode(err), "next_whole", w.split.skip)
	return false
}

// execSplit runs stmts, statements of the batch whose lookups are read,
// as n parts (see above).
func (w *worker) execSplit(ctx context.Context, stmts []stmt, n int) error {
	// Several parts take the pool's spare connections, one worker at a
	// time; while another holds them, the run is written in one part.
	// One part waits for locks as any worker does: no part of its own
	// run holds them.
	sh := &w.s.split
	restore := ""
	if n > 1 && !sh.mu.TryLock() {
		n = 1
	}
	if n > 1 {
		defer sh.mu.Unlock()
		if err := w.s.splitSettings(ctx); err != nil {
			return err
		}
		restore = sh.restore
	}
	// What one connection would remember at the end of the run, and
	// which updates it would leave out.
	for _, st := range stmts {
		w.last.filter(&w.b, st)
		w.last.release()
		for i := st.start; i < st.end; i++ {
			w.last.wrote(&w.b.items[i])
		}
	}
	for len(w.split.parts) < n {
		w.split.parts = append(w.split.parts, batch{})
	}
	parts := w.split.parts[:n]
	defer func() {
		for i := range parts {
			parts[i].reset()
		}
	}()
	for i := range parts {
		parts[i].rowsPerStmt = w.b.rowsPerStmt
	}
	for i := stmts[0].start; i < stmts[len(stmts)-1].end; i++ {
		if it := &w.b.items[i]; !it.unchanged {
			p := 0
			if n > 1 {
				p = partOf(&it.op, n)
			}
			parts[p].add(*it)
		}
	}
	for i := range parts {
		parts[i].compact()
	}
	txs := make([]*partTx, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range parts {
		if len(parts[i].items) == 0 {
			continue
		}
		wg.Go(func() { txs[i], errs[i] = w.runPart(ctx, &parts[i], restore) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	for _, tx := range txs {
		if tx == nil {
			continue
		}
		if err == nil {
			if cerr := tx.tx.Commit(); cerr != nil {
				err = fmt.Errorf("committing a part of a split run: %w", cerr)
			}
		} else {
			_ = tx.tx.Rollback() // the error to report is err
		}
		tx.close(ctx, restore)
	}
	return err
}

// partTx is a part's transaction on a connection of its own.
type partTx struct {
	conn *sql.Conn
	tx   *sql.Tx
}

// runPart writes the statements of part in a transaction of their own,
// left open when they all ran. Unless restore is empty, the session waits
// for no lock meanwhile, and gets restore as its lock wait back after.
func (w *worker) runPart(ctx context.Context, part *batch, restore string) (*partTx, error) {
	conn, err := w.s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("taking a connection for a part of a split run: %w", err)
	}
	p := &partTx{conn: conn}
	if restore != "" {
		if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = "+w.s.split.nowait); err != nil {
			p.discard()
			return nil, fmt.Errorf("setting the lock wait of a part of a split run: %w", err)
		}
	}
	if p.tx, err = conn.BeginTx(ctx, nil); err != nil {
		p.close(ctx, restore)
		return nil, fmt.Errorf("beginning a part of a split run: %w", err)
	}
	for _, st := range part.stmts {
		if err := w.execOps(ctx, p.tx, part, st); err != nil {
			_ = p.tx.Rollback() // the error to report is err
			p.close(ctx, restore)
			return nil, fmt.Errorf("applying %d operations to %s in a part of a split run: %w",
				st.end-st.start, part.items[st.start].op.Target.QualifiedName(), err)
		}
	}
	return p, nil
}

// close gives the connection back to the pool, first with its own lock
// wait restore when one was set, or discards it when that fails.
func (p *partTx) close(ctx context.Context, restore string) {
	if restore != "" {
		if _, err := p.conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = "+restore); err != nil {
			p.discard()
			return
		}
	}
	_ = p.conn.Close()
}

// discard closes the connection instead of giving it back to the pool.
func (p *partTx) discard() {
	_ = p.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = p.conn.Close()
}

// splitSettings reads, once, the sessions' innodb_lock_wait_timeout and
// whether the target takes 0 for it (MariaDB) or at least 1 (MySQL).
// It runs under s.split.mu.
func (s *Sink) splitSettings(ctx context.Context) error {
	sh := &s.split
	if sh.nowait != "" {
		return nil
	}
	var timeout uint64
	var version string
	if err := s.db.QueryRowContext(ctx, "SELECT @@SESSION.innodb_lock_wait_timeout, VERSION()").Scan(&timeout, &version); err != nil {
		return fmt.Errorf("reading the target's innodb_lock_wait_timeout: %w", err)
	}
	sh.restore = fmt.Sprint(timeout)
	sh.nowait = "1"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		sh.nowait = "0"
	}
	return nil
}

// partOf returns the part of n that writes op's row: by table and key,
// integer keys by blocks of 64 neighbours, so parts contend less for index
// pages and a run of a few hundred neighbouring keys still spreads.
func partOf(op *change.TargetOp, n int) int {
	return spread(rowHash(op, true, partBlock), n)
}
