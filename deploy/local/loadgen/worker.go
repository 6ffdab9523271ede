package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retry policy of a worker.
const (
	maxAttempts      = 4
	maxConnErrors    = 20
	connErrorBackoff = 500 * time.Millisecond
)

// worker runs transactions one after another on its own connections.
type worker struct {
	id       int
	r        *runner
	g        *gen
	emails   int
	connErrs int
}

// run runs transactions until ctx ends or the run has claimed all of its
// transactions. Only a fault of the workload itself is returned.
func (w *worker) run(ctx context.Context) error {
	for w.r.claim() {
		if err := w.r.pacer.wait(ctx); err != nil {
			return nil
		}
		if err := w.transaction(ctx); err != nil {
			return err
		}
	}
	return nil
}

// transaction runs one transaction on a random cluster, retrying it on
// deadlocks, lock wait timeouts and duplicate keys, and counts the outcome.
func (w *worker) transaction(ctx context.Context) error {
	c := w.r.pickCluster(w.g)
	size := w.txnSize()
	for attempt := 1; ; attempt++ {
		err := w.attempt(ctx, c, size)
		if err == nil {
			w.connErrs = 0
			return nil
		}
		if ctx.Err() != nil {
			return nil // shutting down; the attempt was rolled back
		}
		kind, transient := classify(err)
		if !transient {
			return fmt.Errorf("running a transaction on %s: %w", c.name, err)
		}
		retry := kind != kindConnection && attempt < maxAttempts
		w.r.stats.attemptFailed(kind, retry)
		if retry {
			continue
		}
		if kind != kindConnection {
			return nil
		}
		if w.connErrs++; w.connErrs >= maxConnErrors {
			return fmt.Errorf("writing to %s: %d connection errors in a row: %w", c.name, w.connErrs, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(connErrorBackoff):
		}
		return nil
	}
}

// attempt runs the transaction once: random steps of the cluster's workload
// until it has size write statements, then commit.
func (w *worker) attempt(ctx context.Context, c *cluster, size int) error {
	tx, err := c.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("beginning a transaction: %w", err)
	}
	t := &txn{tx: tx, g: w.g, w: w, c: c, rows: map[Counter]int64{}, size: size}
	// Every step writes at least once; the bound only guards against a
	// step that finds nothing to do.
	for steps := 0; t.stmts < size && steps < 3*size; steps++ {
		o := c.ops.pick(w.g)
		if err := o.run(ctx, t); err != nil {
			_ = tx.Rollback() // the step's error says why; the server rolls back anyway
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	w.r.stats.commit(t.rows)
	return nil
}

// txnSize returns how many write statements the next transaction has:
// mostly one, often a few, sometimes up to 20.
func (w *worker) txnSize() int {
	switch r := w.g.rng.Float64(); {
	case r < 0.5:
		return 1
	case r < 0.8:
		return w.g.between(2, 5)
	default:
		return w.g.between(6, 20)
	}
}

// email returns an e-mail address no other worker, run or shard uses.
func (w *worker) email(shard int) string {
	w.emails++
	return fmt.Sprintf("u%d-%s-%d-%d@example.com", shard, w.r.runID, w.id, w.emails)
}

// userID returns the id of a user that probably exists on some account
// shard.
func (w *worker) userID() uint64 {
	if len(w.r.accounts) == 0 {
		return 1 + w.g.rng.Uint64N(1000)
	}
	hi := w.r.accounts[w.g.rng.IntN(len(w.r.accounts))].users.Load()
	if hi == 0 {
		return 1 + w.g.rng.Uint64N(1000)
	}
	return 1 + w.g.rng.Uint64N(hi)
}
