package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// txn is one attempt of a transaction: its statements so far and the rows
// they wrote, counted when it commits.
type txn struct {
	tx    *sql.Tx
	g     *gen
	w     *worker
	c     *cluster
	rows  map[Counter]int64
	stmts int
	size  int
}

// left returns how many more write statements the transaction wants.
func (t *txn) left() int { return t.size - t.stmts }

// exec runs a write statement and counts the rows it affected under table
// and op.
func (t *txn) exec(ctx context.Context, table string, op Op, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("writing %s (%s): %w", table, op, err)
	}
	t.stmts++
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		t.rows[Counter{Table: table, Op: op}] += n
	}
	return res, nil
}

// upsert runs an INSERT ... ON DUPLICATE KEY UPDATE and counts the row as
// inserted or updated from what the server reports.
func (t *txn) upsert(ctx context.Context, table, query string, args ...any) error {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("writing %s (upsert): %w", table, err)
	}
	t.stmts++
	switch n, _ := res.RowsAffected(); n {
	case 1:
		t.rows[Counter{Table: table, Op: OpInsert}]++
	case 2:
		t.rows[Counter{Table: table, Op: OpUpdate}]++
	}
	return nil
}

// insert runs an INSERT and returns the id it generated.
func (t *txn) insert(ctx context.Context, table, query string, args ...any) (uint64, error) {
	res, err := t.exec(ctx, table, OpInsert, query, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("reading id inserted into %s: %w", table, err)
	}
	return uint64(id), nil
}

// maxID returns the highest id of table, 0 when it is empty.
func (t *txn) maxID(ctx context.Context, table string) (uint64, error) {
	var id uint64
	if err := t.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading highest id of %s: %w", table, err)
	}
	return id, nil
}

// pick locks and returns the id of a random existing row of table; ok is
// false when the table is empty.
func (t *txn) pick(ctx context.Context, table string) (id uint64, ok bool, err error) {
	hi, err := t.maxID(ctx, table)
	if err != nil || hi == 0 {
		return 0, false, err
	}
	from := 1 + t.g.rng.Uint64N(hi)
	err = t.tx.QueryRowContext(ctx, "SELECT id FROM "+table+" WHERE id >= ? ORDER BY id LIMIT 1 FOR UPDATE", from).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // the highest rows went away meanwhile
	}
	if err != nil {
		return 0, false, fmt.Errorf("picking a row of %s: %w", table, err)
	}
	return id, true, nil
}

// unusedID returns an id above every id of table. Moving a row there also
// moves the AUTO_INCREMENT counter past it, so later inserts do not collide.
func (t *txn) unusedID(ctx context.Context, table string) (uint64, error) {
	hi, err := t.maxID(ctx, table)
	if err != nil {
		return 0, err
	}
	return hi + 1 + t.g.rng.Uint64N(3), nil
}
