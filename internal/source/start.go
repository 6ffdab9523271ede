package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Start settings (Options.Start): where a source without a checkpoint
// starts.
const (
	// StartCurrent starts at the source's current binlog position: changes
	// made before the start are not streamed.
	StartCurrent = "current"
	// StartEarliest starts at the oldest binary log the server still has:
	// the first file of SHOW BINARY LOGS at offset 4, with its GTID
	// position on MariaDB (BINLOG_GTID_POS) and the purged GTID set on
	// MySQL (@@gtid_purged: everything else is still in the logs).
	StartEarliest = "earliest"
	// StartGTIDPrefix is followed by a GTID set: the source starts after
	// the transactions of that set.
	StartGTIDPrefix = "gtid:"
)

// Backfill settings (Options.Backfill).
const (
	// BackfillNever copies no existing rows on a first start (the
	// default); `tributary backfill` still can, any time.
	BackfillNever = "never"
	// BackfillInitial copies the rows of the source's mapped tables on
	// its first start, while it streams.
	BackfillInitial = "initial"
)

// Bounds of the backfill settings; their defaults are the backfill
// package's.
const (
	// MaxBackfillChunkRows caps Options.BackfillChunkRows and
	// BackfillChunkRowsMax.
	MaxBackfillChunkRows = 100000
	// MaxBackfillWorkers caps BackfillWorkers.
	MaxBackfillWorkers = 16
)

// StartPosition resolves a start setting against the source: its current
// position, its earliest one, or the given GTID set in the server's
// flavor. The position carries the server's identity.
func (r *Reader) StartPosition(ctx context.Context, start string) (pos change.Position, err error) {
	err = r.onServer(ctx, func(db *sql.DB, srv server) error {
		switch {
		case start == StartCurrent:
			pos, err = currentPosition(ctx, db, srv)
		case start == StartEarliest:
			pos, err = earliestPosition(ctx, db, srv)
		case strings.HasPrefix(start, StartGTIDPrefix):
			set, perr := ParseGTIDSet(srv.Flavor, strings.TrimPrefix(start, StartGTIDPrefix))
			if perr != nil {
				return fmt.Errorf("resolving start %q: %w", start, perr)
			}
			pos = change.Position{Flavor: srv.Flavor, GTIDSet: set.String(), ServerID: srv.ID, ServerUUID: srv.UUID}
		default:
			return fmt.Errorf("resolving start %q: must be %s, %s or %sSET", start, StartCurrent, StartEarliest, StartGTIDPrefix)
		}
		return err
	})
	return pos, err
}

// earliestPosition is the start of the oldest binary log on the server.
func earliestPosition(ctx context.Context, db *sql.DB, srv server) (change.Position, error) {
	p := change.Position{Flavor: srv.Flavor, ServerID: srv.ID, ServerUUID: srv.UUID, Pos: 4}
	logs, err := binaryLogs(ctx, db)
	if err != nil {
		return p, err
	}
	if len(logs) == 0 {
		return p, permanent(errors.New("listing binary logs: none (is log_bin enabled?)"))
	}
	p.File = logs[0].Name
	if srv.Flavor == change.MariaDB {
		gtid, known, err := binlogGTIDPos(ctx, db, p.File, p.Pos)
		if err != nil {
			return p, err
		}
		if known {
			p.GTIDSet = gtid
		}
		return p, nil
	}
	var purged sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_purged").Scan(&purged); err != nil {
		return p, fmt.Errorf("reading gtid_purged: %w", err)
	}
	p.GTIDSet = strings.ReplaceAll(purged.String, "\n", "")
	return p, nil
}
