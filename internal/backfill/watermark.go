package backfill

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// The watermark table: Tributary's own, on each source's writer.
const (
	WatermarkSchema = "tributary"
	WatermarkTable  = "backfill_watermarks"
)

// IsWatermark reports whether schema.table is the watermark table, whose
// changes a reader must decode whatever the mappings name.
func IsWatermark(schema, table string) bool {
	return schema == WatermarkSchema && table == WatermarkTable
}

// The kinds of watermark.
const (
	lowMark  = "low"
	highMark = "high"
)

const createWatermarks = "CREATE TABLE IF NOT EXISTS `" + WatermarkSchema + "`.`" + WatermarkTable + "` (" +
	"id VARCHAR(64) NOT NULL PRIMARY KEY, chunk BIGINT NOT NULL, kind ENUM('low','high') NOT NULL, " +
	"at TIMESTAMP(6) NOT NULL) ENGINE=InnoDB"

// writeWatermarkSQL upserts one row: a watermark is one row changed in a
// transaction of its own. Successive watermarks of a run always differ in
// chunk or kind, so every write changes the row and reaches the binlog.
const writeWatermarkSQL = "INSERT INTO `" + WatermarkSchema + "`.`" + WatermarkTable + "` (id, chunk, kind, at) " +
	"VALUES (?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE chunk = VALUES(chunk), kind = VALUES(kind), at = VALUES(at)"

// createWatermarkTable creates the watermark table if it is missing. One
// made beforehand (by an administrator) is used as it is, so the source
// user then needs only INSERT and UPDATE on it.
func createWatermarkTable(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		WatermarkSchema, WatermarkTable).Scan(&n)
	if err != nil {
		return fmt.Errorf("looking for table %s.%s: %w", WatermarkSchema, WatermarkTable, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+WatermarkSchema+"`"); err != nil {
		return fmt.Errorf("creating database %s for the backfill watermarks (the source user needs CREATE, INSERT "+
			"and UPDATE on %s.*): %w", WatermarkSchema, WatermarkSchema, err)
	}
	if _, err := db.ExecContext(ctx, createWatermarks); err != nil {
		return fmt.Errorf("creating table %s.%s (the source user needs CREATE, INSERT and UPDATE on %s.*): %w",
			WatermarkSchema, WatermarkTable, WatermarkSchema, err)
	}
	return nil
}

// writeWatermark commits one watermark.
func writeWatermark(ctx context.Context, db *sql.DB, id string, chunk uint64, kind string) error {
	if _, err := db.ExecContext(ctx, writeWatermarkSQL, id, chunk, kind); err != nil {
		return fmt.Errorf("writing the %s watermark of chunk %d: %w", kind, chunk, err)
	}
	return nil
}

// watermark is a watermark row read from the binlog.
type watermark struct {
	id    string
	chunk uint64
	kind  string
}

// parseWatermark reads the watermark a change of the watermark table
// wrote: its after image (a delete writes none).
func parseWatermark(c *change.RowChange) (watermark, bool) {
	if c.After == nil {
		return watermark{}, false
	}
	t := c.Table
	id, chunk, kind := t.ColumnIndex("id"), t.ColumnIndex("chunk"), t.ColumnIndex("kind")
	if id < 0 || chunk < 0 || kind < 0 || len(c.After) != len(t.Columns) {
		return watermark{}, false
	}
	var w watermark
	var ok bool
	if w.id, ok = c.After[id].(string); !ok {
		return watermark{}, false
	}
	switch n := c.After[chunk].(type) {
	case int64:
		w.chunk = uint64(n)
	case uint64:
		w.chunk = n
	default:
		return watermark{}, false
	}
	if w.kind, ok = c.After[kind].(string); !ok {
		return watermark{}, false
	}
	return w, true
}
