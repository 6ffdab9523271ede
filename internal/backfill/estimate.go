package backfill

import (
	"context"
	"database/sql"
	"time"
)

// countBelow is the size, by the server's statistics, under which a
// table's rows are counted exactly: counting a small table is cheap, and
// its statistics are the least reliable (InnoDB samples them, and a table
// filled moments ago may still show 0).
const countBelow = 100_000

// estimateTimeout bounds the queries of an estimate.
const estimateTimeout = 5 * time.Second

// estimate returns how many rows the copy of p's table is expected to
// hand on: information_schema.TABLES.TABLE_ROWS, or for a small table an
// exact COUNT(*) under p's predicate. It is for progress display only, so
// a failure gives 0 (unknown) rather than an error.
func estimate(ctx context.Context, db *sql.DB, p *Plan) uint64 {
	ctx, cancel := context.WithTimeout(ctx, estimateTimeout)
	defer cancel()
	var stats sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		p.Table.Schema, p.Table.Name).Scan(&stats)
	if err == nil && stats.Valid && stats.Int64 >= countBelow {
		return uint64(stats.Int64)
	}
	query := "SELECT COUNT(*) FROM " + quote(p.Table.Schema) + "." + quote(p.Table.Name)
	if p.Where != "" {
		query += " WHERE (" + p.Where + ")"
	}
	var n int64
	if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
		if stats.Valid && stats.Int64 > 0 {
			return uint64(stats.Int64)
		}
		return 0
	}
	return uint64(n)
}
