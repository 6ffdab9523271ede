package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// writeLoad is a sysbench oltp_write_only-like workload on bench.sbtest1:
// each transaction updates the indexed k of one row, the unindexed c of
// another, and deletes and re-inserts a third, so the row count stays the
// same.
type writeLoad struct {
	// Rows is the table size; ids are drawn from 1..Rows.
	Rows int
	// Clients is the number of concurrent sessions.
	Clients int
	// Txns stops the load after this many committed transactions (0: none).
	Txns int
	// Duration stops the load after this long (0: none).
	Duration time.Duration
	// Rate paces the load in transactions per second over all clients
	// (0: as fast as possible).
	Rate float64
	// WithTS sets ts = NOW(6) in every written row.
	WithTS bool
}

// loadResult is what a writeLoad committed.
type loadResult struct {
	txns int
	wall time.Duration
}

// rate is the committed transactions per second.
func (r loadResult) rate() float64 { return float64(r.txns) / r.wall.Seconds() }

// run applies the load to s and returns what it committed. Transactions
// that deadlock are rolled back and not counted.
func (w writeLoad) run(tb testing.TB, s *testenv.Server) loadResult {
	db, err := sql.Open("mysql", s.DSN("root", "", "bench")+"&interpolateParams=true")
	require.NoError(tb, err)
	defer db.Close()
	db.SetMaxOpenConns(w.Clients)
	db.SetMaxIdleConns(w.Clients)

	ctx := tb.Context()
	if w.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.Duration)
		defer cancel()
	}
	var committed, started atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := range w.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c)+1, 42))
			for ctx.Err() == nil {
				n := started.Add(1)
				if w.Txns > 0 && n > int64(w.Txns) {
					return
				}
				if w.Rate > 0 {
					due := t0.Add(time.Duration(float64(n-1) / w.Rate * float64(time.Second)))
					select {
					case <-ctx.Done():
						return
					case <-time.After(time.Until(due)):
					}
				}
				for {
					err := w.txn(ctx, db, rng)
					if err == nil {
						committed.Add(1)
						break
					}
					if ctx.Err() != nil {
						return
					}
					if !retryable(err) {
						once.Do(func() { firstErr = err })
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(tb, firstErr)
	return loadResult{txns: int(committed.Load()), wall: time.Since(t0)}
}

// txn runs one transaction of the load.
func (w writeLoad) txn(ctx context.Context, db *sql.DB, rng *rand.Rand) (err error) {
	id := func() int { return 1 + rng.IntN(w.Rows) }
	ts := ""
	if w.WithTS {
		ts = ", ts = NOW(6)"
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	del := id()
	stmts := []struct {
		q    string
		args []any
	}{
		{"UPDATE sbtest1 SET k = k + 1" + ts + " WHERE id = ?", []any{id()}},
		{"UPDATE sbtest1 SET c = ?" + ts + " WHERE id = ?", []any{randChars(rng, 120), id()}},
		{"DELETE FROM sbtest1 WHERE id = ?", []any{del}},
		{"INSERT INTO sbtest1 SET id = ?, k = ?, c = ?, pad = ?" + ts, []any{del, id(), randChars(rng, 120), randChars(rng, 60)}},
	}
	for _, st := range stmts {
		if _, err = tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("executing %q: %w", st.q, err)
		}
	}
	return tx.Commit()
}

// retryable reports a deadlock or lock wait timeout.
func retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// randChars returns n characters in sysbench's c/pad style: groups of
// digits separated by dashes.
func randChars(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		if i%12 == 11 {
			b[i] = '-'
		} else {
			b[i] = byte('0' + rng.IntN(10))
		}
	}
	return string(b)
}
