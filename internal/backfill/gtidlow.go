package backfill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// The low set of a chunk, taken with its read (see gtidMarks).

// snapshotRead reads the chunk on a MariaDB writer in a consistent
// snapshot and returns the GTID position the snapshot saw, once that holds
// passed and logged (which it does as soon as they have committed).
func (g *gtidMarks) snapshotRead(ctx context.Context, passed, logged gtid.Set, readRows func(context.Context, Querier) ([]change.Row, error)) ([]change.Row, gtid.Set, error) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		rows, low, ok, err := g.snapshotOnce(ctx, passed, logged, readRows)
		if err != nil || ok {
			return rows, low, err
		}
		if attempt%500 == 0 {
			g.log.Warn("waiting for transactions the source logged to commit", "waited",
				time.Since(start).Round(time.Second), "snapshot", low.String(), "source", logged.String(),
				"stream", passed.String())
		}
		if err := retry.Wait(ctx, gtidPoll); err != nil {
			return nil, low, err
		}
	}
}

// snapshotOnce is one attempt of snapshotRead; ok is false when the
// snapshot does not hold passed yet.
func (g *gtidMarks) snapshotOnce(ctx context.Context, passed, logged gtid.Set, readRows func(context.Context, Querier) ([]change.Row, error)) (rows []change.Row, low gtid.Set, ok bool, err error) {
	conn, err := g.readDB().Conn(ctx)
	if err != nil {
		return nil, low, false, fmt.Errorf("connecting to read a chunk: %w", err)
	}
	defer conn.Close()
	// REPEATABLE READ: one snapshot for the transaction, whatever the
	// server's default (READ COMMITTED takes one per statement).
	if _, err := conn.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return nil, low, false, fmt.Errorf("starting a snapshot to read a chunk: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return nil, low, false, fmt.Errorf("starting a snapshot to read a chunk: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") }()
	file, pos, err := snapshotPoint(ctx, conn)
	if err != nil {
		return nil, low, false, err
	}
	var text sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", file, pos).Scan(&text); err != nil {
		return nil, low, false, fmt.Errorf("reading the GTID position of a snapshot: %w", err)
	}
	if !text.Valid {
		return nil, low, false, fmt.Errorf("reading the GTID position of a snapshot: BINLOG_GTID_POS(%q, %d) is NULL "+
			"(the binlog file is gone)", file, pos)
	}
	if low, err = gtid.Parse(change.MariaDB, text.String); err != nil {
		return nil, low, false, err
	}
	if !low.Contains(passed) || !low.Contains(logged) {
		return nil, low, false, nil
	}
	rows, err = readRows(ctx, conn)
	return rows, low, err == nil, err
}

// snapshotPoint returns the binlog point of the connection's consistent
// snapshot.
func snapshotPoint(ctx context.Context, conn *sql.Conn) (string, uint64, error) {
	rows, err := conn.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return "", 0, fmt.Errorf("reading the binlog point of a snapshot: %w", err)
	}
	defer rows.Close()
	var file string
	var pos uint64
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return "", 0, fmt.Errorf("reading the binlog point of a snapshot: %w", err)
		}
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			file = value
		case "binlog_snapshot_position":
			if _, err := fmt.Sscan(value, &pos); err != nil {
				return "", 0, fmt.Errorf("reading the binlog point of a snapshot: position %q: %w", value, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return "", 0, fmt.Errorf("reading the binlog point of a snapshot: %w", err)
	}
	if file == "" {
		return "", 0, errors.New("reading the binlog point of a snapshot: the server has no Binlog_snapshot_file (is binary logging on?)")
	}
	return file, pos, nil
}

// waitVisible waits until the read host's set of committed transactions
// holds passed and returns it. A replica is also waited for until it
// holds the writer's executed set of now: then the read sees the table
// as the writer described it for the chunk's plan, a column added just
// before included.
func (g *gtidMarks) waitVisible(ctx context.Context, s gtidSetup, passed gtid.Set) (gtid.Set, error) {
	query, name := "SELECT @@GLOBAL.gtid_executed", "gtid_executed"
	if s.flavor == change.MariaDB {
		query, name = "SELECT @@GLOBAL.gtid_slave_pos", "gtid_slave_pos"
	}
	where := "source " + g.source
	writer := passed
	if s.replica {
		where = "backfill_read_host " + g.readHost
		var err error
		if writer, err = g.executed(ctx, s.flavor, "the chunk's read"); err != nil {
			return writer, err
		}
	}
	start, lastLog := time.Now(), time.Now()
	for {
		var text string
		if err := g.readDB().QueryRowContext(ctx, query).Scan(&text); err != nil {
			return gtid.Set{}, fmt.Errorf("reading %s of %s: %w", name, where, err)
		}
		low, err := gtid.Parse(s.flavor, text)
		if err != nil {
			return low, fmt.Errorf("reading %s of %s: %w", name, where, err)
		}
		if low.Contains(passed) && low.Contains(writer) {
			return low, nil
		}
		if s.replica && low.Empty() {
			return low, fmt.Errorf("%w: %s has applied no GTID of source %s (its %s is empty, the stream has passed %s): "+
				"backfill_read_host must be a replica of the source that replicates by GTID", ErrNoGTIDs, where, g.source,
				name, passed.String())
		}
		if time.Since(lastLog) >= waitLog {
			lastLog = time.Now()
			g.log.Warn("waiting for the backfill read host to apply what the source has logged", "read_host", where,
				"waited", time.Since(start).Round(time.Second), name, low.String(), "source", writer.String(),
				"stream", passed.String())
		}
		if err := retry.Wait(ctx, gtidPoll); err != nil {
			return low, err
		}
	}
}
