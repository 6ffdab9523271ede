package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// binlogFile is one row of SHOW BINARY LOGS.
type binlogFile struct {
	Name string
	Size uint64
}

// Reachable reports why the server cannot serve the stream from pos, or
// nil: a GTID set the server has not executed yet, a binlog file it does
// not have (never written, or purged), an offset past the end of the file
// or where no event starts.
func (r *Reader) Reachable(ctx context.Context, pos change.Position) error {
	return r.onServer(ctx, func(db *sql.DB, srv server) error {
		cur, err := currentPosition(ctx, db, srv)
		if err != nil {
			return err
		}
		logs, err := binaryLogs(ctx, db)
		if err != nil {
			return err
		}
		if err := reachable(pos, cur, logs); err != nil || pos.GTIDSet != "" {
			return err
		}
		return eventStart(ctx, db, pos)
	})
}

// eventStart reports whether an event of pos.File starts at pos.Pos, as
// the server reads it: SHOW BINLOG EVENTS refuses an offset inside an
// event. Other refusals (a user without the privilege) leave the question
// to the stream, which says the same.
func eventStart(ctx context.Context, db *sql.DB, pos change.Position) error {
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d LIMIT 1",
		strings.ReplaceAll(pos.File, "'", "''"), pos.Pos))
	if err == nil {
		for rows.Next() {
		}
		err = errors.Join(rows.Err(), rows.Close())
	}
	if err != nil && strings.Contains(err.Error(), "Wrong offset") {
		return fmt.Errorf("offset %d of %s is not where an event starts (SHOW BINLOG EVENTS IN '%s' lists the events and where each starts)",
			pos.Pos, pos.File, pos.File)
	}
	return nil
}

// reachable is Reachable on what the server said: its current position
// and its binlog files.
func reachable(pos, cur change.Position, logs []binlogFile) error {
	if pos.GTIDSet != "" {
		want, err := ParseGTIDSet(cur.Flavor, pos.GTIDSet)
		if err != nil {
			return fmt.Errorf("parsing GTID set %s: %w", pos.GTIDSet, err)
		}
		have, err := ParseGTIDSet(cur.Flavor, cur.GTIDSet)
		if err != nil {
			return fmt.Errorf("parsing the server's GTID set %s: %w", cur.GTIDSet, err)
		}
		if !have.Contain(want) {
			return fmt.Errorf("GTID set %s is ahead of the server, which has executed %s", pos.GTIDSet, cur.GTIDSet)
		}
		return nil
	}
	for _, f := range logs {
		if f.Name != pos.File {
			continue
		}
		if uint64(pos.Pos) > f.Size {
			return fmt.Errorf("offset %d is past the end of %s (%d bytes)", pos.Pos, f.Name, f.Size)
		}
		return nil
	}
	if len(logs) == 0 {
		return fmt.Errorf("the server lists no binary logs, so %s cannot be read", pos.File)
	}
	return fmt.Errorf("the server has no binary log %s (it has %s to %s)", pos.File, logs[0].Name, logs[len(logs)-1].Name)
}

// binaryLogs runs SHOW BINARY LOGS.
func binaryLogs(ctx context.Context, db *sql.DB) ([]binlogFile, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("listing binary logs: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("listing binary logs: %w", err)
	}
	var out []binlogFile
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("listing binary logs: %w", err)
		}
		size, err := strconv.ParseUint(string(vals[1]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("listing binary logs: size %q of %s: %w", vals[1], vals[0], err)
		}
		out = append(out, binlogFile{Name: string(vals[0]), Size: size})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing binary logs: %w", err)
	}
	return out, nil
}

// HasExecuted reports whether the server has executed every transaction of
// the GTID set, knowing where each came from: on MySQL its executed set
// contains the set (GTIDs name their origin server's UUID); on MariaDB its
// binlog state holds, for every domain and origin server of the set, a
// transaction at least as far (sequence numbers alone would match any
// server of the same domain). A server that passes has the checkpoint's
// history, as a replica promoted after a failover does.
func (r *Reader) HasExecuted(ctx context.Context, set string) (has bool, err error) {
	err = r.onServer(ctx, func(db *sql.DB, srv server) error {
		if srv.Flavor == change.MySQL {
			cur, err := currentPosition(ctx, db, srv)
			if err != nil {
				return err
			}
			has = reachable(change.Position{GTIDSet: set}, cur, nil) == nil
			return nil
		}
		var state string
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_state").Scan(&state); err != nil {
			return fmt.Errorf("reading gtid_binlog_state: %w", err)
		}
		has, err = mariadbStateHas(state, set)
		return err
	})
	return has, err
}

// mariadbStateHas reports whether the binlog state (domain-server-seq
// entries, one per domain and server) covers every GTID of set.
func mariadbStateHas(state, set string) (bool, error) {
	type origin struct{ domain, server string }
	last := map[origin]uint64{}
	for _, e := range strings.Split(state, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		f := strings.Split(e, "-")
		if len(f) != 3 {
			return false, fmt.Errorf("reading gtid_binlog_state: entry %q is not domain-server-sequence", e)
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("reading gtid_binlog_state: entry %q: %w", e, err)
		}
		last[origin{f[0], f[1]}] = n
	}
	for _, g := range strings.Split(set, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		f := strings.Split(g, "-")
		if len(f) != 3 {
			return false, fmt.Errorf("GTID %q is not domain-server-sequence", g)
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("GTID %q: %w", g, err)
		}
		if have, ok := last[origin{f[0], f[1]}]; !ok || have < n {
			return false, nil
		}
	}
	return true, nil
}
