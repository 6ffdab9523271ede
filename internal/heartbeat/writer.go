// Package heartbeat measures each source's lag end to end, even while the
// source's applications write nothing: a Writer commits a row into
// tributary.heartbeat on the source at an interval, the Tracker takes
// those rows out of the stream before the mappings and the sinks see them,
// and once a checkpoint covers one (every sink has made it durable) the
// lag is the time since it was written. Both times come from this
// process's clock, so a skewed source clock does not distort the lag.
package heartbeat

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// The heartbeat table: Tributary's own, on each source's writer, next to
// the backfill watermarks.
const (
	Schema = "tributary"
	Table  = "heartbeat"
)

// IsHeartbeat reports whether schema.table is the heartbeat table, whose
// rows a reader must decode whatever the mappings name.
func IsHeartbeat(schema, table string) bool { return schema == Schema && table == Table }

const createTable = "CREATE TABLE IF NOT EXISTS `" + Schema + "`.`" + Table + "` (" +
	"id VARCHAR(64) NOT NULL PRIMARY KEY, at_us BIGINT NOT NULL) ENGINE=InnoDB"

// beatSQL upserts this writer's row; at_us is a new value every time, so
// every beat changes the row and reaches the binlog.
const beatSQL = "INSERT INTO `" + Schema + "`.`" + Table + "` (id, at_us) VALUES (?, ?) " +
	"ON DUPLICATE KEY UPDATE at_us = VALUES(at_us)"

// Writer beats on one source.
type Writer struct {
	// ID names the row this writer upserts: the source's name, so that
	// several sources on one server, or a second deployment reading the
	// same server under another name, keep rows apart.
	ID       string
	DB       *sql.DB
	Interval time.Duration
	Log      *slog.Logger
	// Errors, when set, is called for every failed beat (metrics).
	Errors func()
}

// Run creates the table if it is missing, then beats every Interval until
// ctx ends. A failed beat is logged when a streak of failures begins and
// retried at the next tick: the lag then rises, which is what it should
// say while the source cannot be written.
func (w *Writer) Run(ctx context.Context) error {
	ready := false
	failing := false
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		err := w.beat(ctx, &ready)
		switch {
		case err != nil && ctx.Err() == nil:
			if w.Errors != nil {
				w.Errors()
			}
			if !failing {
				w.Log.Warn("writing the heartbeat: the source's lag rises until it works", "source", w.ID, "error", err)
			}
			failing = true
		case err == nil && failing:
			w.Log.Info("writing the heartbeat works again", "source", w.ID)
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Writer) beat(ctx context.Context, ready *bool) error {
	bctx, cancel := context.WithTimeout(ctx, max(w.Interval, 5*time.Second))
	defer cancel()
	if !*ready {
		if err := ensureTable(bctx, w.DB); err != nil {
			return err
		}
		*ready = true
	}
	if _, err := w.DB.ExecContext(bctx, beatSQL, w.ID, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("writing %s.%s: %w", Schema, Table, err)
	}
	return nil
}

// ensureTable creates the heartbeat table if it is missing. One made
// beforehand by an administrator is used as it is, so the source user then
// needs only INSERT and UPDATE on it.
func ensureTable(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		Schema, Table).Scan(&n)
	if err != nil {
		return fmt.Errorf("looking for table %s.%s: %w", Schema, Table, err)
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range []string{"CREATE DATABASE IF NOT EXISTS `" + Schema + "`", createTable} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating table %s.%s (the source user needs CREATE, INSERT and UPDATE on %s.*): %w",
				Schema, Table, Schema, err)
		}
	}
	return nil
}
