package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// How often a chunk bounded by GTID sets polls a server that must catch
// up, and asks the stream for a position transaction while it waits for
// its high set.
const (
	gtidPoll      = 20 * time.Millisecond
	positionAgain = 500 * time.Millisecond
)

// gtidMarks bound each chunk by GTID sets and write nothing: for sources
// that must not be written, and for chunks read from a replica. See
// gtidWindow (gtidmerge.go) for what the low and the high set must be;
// here is how each is taken.
//
// The high set must hold every transaction the read saw. It is the
// writer's executed set, read after the read: on MariaDB @@gtid_binlog_pos,
// which takes a transaction when it is written to the binlog, before it
// commits, so before any read can see it; on MySQL @@gtid_executed, which
// takes it right after it commits (in the same step of the group commit),
// long before the read ends and the set is read. A replica applies only
// what the writer logged before, so the writer's set bounds what a read
// on a replica saw as well.
//
// The low set must hold only transactions the read saw, and at least every
// transaction the stream had passed when the chunk was expected (those
// were never recorded). Binlog offsets cannot give it (a transaction is in
// the binlog before it is visible), nor can @@gtid_binlog_pos. So:
//
//   - MariaDB, chunks read on the writer: the read runs in a transaction
//     started WITH CONSISTENT SNAPSHOT, whose Binlog_snapshot_file and
//     Binlog_snapshot_position MariaDB keeps consistent with the snapshot
//     (transactions commit in binlog order); BINLOG_GTID_POS turns that
//     point into the GTID position the read saw, exactly. Should it not yet
//     hold what the stream passed, or what the writer had logged just
//     before (a transaction logged but not yet committed), the snapshot
//     is taken again.
//   - MariaDB, chunks read on a replica: @@gtid_slave_pos, which MariaDB
//     moves only once the replicated transaction has committed (what
//     MASTER_GTID_WAIT relies on for reads after writes). The read first
//     waits until it holds what the stream passed and what the writer has
//     logged by then, then takes it, then reads.
//   - MySQL, on the writer or a replica: @@gtid_executed, which holds a
//     transaction only once it has committed; waited for and taken so too.
type gtidMarks struct {
	source string
	// flavor is the configured one: change.MySQL, change.MariaDB, or ""
	// to detect.
	flavor string
	writer *sql.DB
	// reader reads the chunks, nil for the writer; readHost names it in
	// messages.
	reader   *sql.DB
	readHost string
	merger   *Merger
	// position asks the source's stream for a position transaction.
	position func()
	log      *slog.Logger

	mu struct {
		sync.Mutex
		ok bool
		gtidSetup
	}
}

// gtidSetup is what gtidMarks learn of the servers once.
type gtidSetup struct {
	flavor string
	// replica is set when the chunks are read on another server than the
	// writer.
	replica bool
}

// readDB returns where the chunks are read.
func (g *gtidMarks) readDB() *sql.DB {
	if g.reader != nil {
		return g.reader
	}
	return g.writer
}

func (g *gtidMarks) ready(ctx context.Context) error {
	_, err := g.setup(ctx)
	return err
}

// setup learns the flavor and whether the read host is a replica, and
// refuses servers without GTIDs.
func (g *gtidMarks) setup(ctx context.Context) (gtidSetup, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.ok {
		return g.mu.gtidSetup, nil
	}
	var s gtidSetup
	s.flavor = g.flavor
	if s.flavor != change.MySQL && s.flavor != change.MariaDB {
		var version string
		if err := g.writer.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
			return s, fmt.Errorf("reading the version of source %s: %w", g.source, err)
		}
		s.flavor = change.MySQL
		if strings.Contains(strings.ToLower(version), "mariadb") {
			s.flavor = change.MariaDB
		}
	}
	if s.flavor == change.MySQL {
		if err := g.checkGTIDMode(ctx, g.writer, "source "+g.source); err != nil {
			return s, err
		}
	}
	if g.reader != nil {
		var w, r uint32
		if err := g.writer.QueryRowContext(ctx, "SELECT @@server_id").Scan(&w); err != nil {
			return s, fmt.Errorf("reading the server id of source %s: %w", g.source, err)
		}
		if err := g.reader.QueryRowContext(ctx, "SELECT @@server_id").Scan(&r); err != nil {
			return s, fmt.Errorf("reading the server id of backfill_read_host %s: %w", g.readHost, err)
		}
		s.replica = w != r
		if s.flavor == change.MySQL {
			if err := g.checkGTIDMode(ctx, g.reader, "backfill_read_host "+g.readHost); err != nil {
				return s, err
			}
		}
		if s.flavor == change.MariaDB && s.replica {
			if err := g.checkReplica(ctx); err != nil {
				return s, err
			}
		}
	}
	g.mu.ok, g.mu.gtidSetup = true, s
	return s, nil
}

// checkGTIDMode refuses a MySQL server whose gtid_mode is not ON.
func (g *gtidMarks) checkGTIDMode(ctx context.Context, db *sql.DB, what string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_mode").Scan(&mode); err != nil {
		return fmt.Errorf("reading gtid_mode of %s: %w", what, err)
	}
	return gtidModeError(what, mode)
}

// checkReplica refuses a MariaDB read host that has applied none of the
// writer's GTIDs: it replicates something else, or not by GTID, and a
// chunk would wait for it forever.
func (g *gtidMarks) checkReplica(ctx context.Context) error {
	var logged, applied string
	if err := g.writer.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&logged); err != nil {
		return fmt.Errorf("reading gtid_binlog_pos of source %s: %w", g.source, err)
	}
	if err := g.reader.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_slave_pos").Scan(&applied); err != nil {
		return fmt.Errorf("reading gtid_slave_pos of backfill_read_host %s: %w", g.readHost, err)
	}
	if logged != "" && applied == "" {
		return fmt.Errorf("%w: backfill_read_host %s has applied no GTID of source %s (its gtid_slave_pos is empty, "+
			"the source has logged %s): it must be a replica of the source that replicates by GTID "+
			"(CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos)", ErrNoGTIDs, g.readHost, g.source, logged)
	}
	return nil
}

// gtidModeError says why a MySQL server with gtid_mode mode cannot give
// GTID watermarks, nil when it can.
func gtidModeError(what, mode string) error {
	if strings.EqualFold(mode, "ON") {
		return nil
	}
	return fmt.Errorf("%w: %s has gtid_mode=%s, and backfill_watermarks: gtid needs gtid_mode=ON "+
		"(with enforce_gtid_consistency=ON); turn GTIDs on, or use backfill_watermarks: table", ErrNoGTIDs, what, mode)
}

// currentFlavor is the flavor known so far, for a window expected before
// setup ran; read checks it.
func (g *gtidMarks) currentFlavor() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.ok {
		return g.mu.flavor
	}
	return g.flavor
}

// expect ignores prev: with GTID watermarks a chunk is read only once the
// one before it was merged (Backfiller.readAhead is 1).
func (g *gtidMarks) expect(run string, chunk uint64, plan *Plan, _ *window) *window {
	return g.merger.expectGTID(run, chunk, plan, g.currentFlavor())
}

func (g *gtidMarks) read(ctx context.Context, w *window, readRows func(context.Context, Querier) ([]change.Row, error)) ([]change.Row, error) {
	s, err := g.setup(ctx)
	if err != nil {
		return nil, err
	}
	if w.gtid.flavor != s.flavor {
		return nil, fmt.Errorf("source %s turned out to be %s: reading the chunk again", g.source, s.flavor)
	}
	if w.gtid.passedErr != nil {
		return nil, w.gtid.passedErr
	}
	var rows []change.Row
	var low gtid.Set
	if s.flavor == change.MariaDB && !s.replica {
		// What the writer has logged by now goes in too: the stream's
		// start position among it, before any transaction went by.
		var logged gtid.Set
		if logged, err = g.executed(ctx, s.flavor, "the chunk's read"); err == nil {
			rows, low, err = g.snapshotRead(ctx, w.gtid.passed, logged, readRows)
		}
	} else {
		low, err = g.waitVisible(ctx, s, w.gtid.passed)
		if err == nil {
			rows, err = readRows(ctx, g.readDB())
		}
	}
	if err != nil {
		return nil, err
	}
	g.merger.setLow(w, low)
	return rows, nil
}

// executed reads the writer's executed set: every transaction it has
// logged (MariaDB) or committed (MySQL).
func (g *gtidMarks) executed(ctx context.Context, flavor, what string) (gtid.Set, error) {
	query, name := gtid.ExecutedQuery(flavor)
	var text string
	if err := g.writer.QueryRowContext(ctx, query).Scan(&text); err != nil {
		return gtid.Set{}, fmt.Errorf("reading %s of source %s for %s: %w", name, g.source, what, err)
	}
	return gtid.Parse(flavor, text)
}

func (g *gtidMarks) high(ctx context.Context, w *window) error {
	high, err := g.executed(ctx, w.gtid.flavor, fmt.Sprintf("the high watermark of chunk %d", w.chunk))
	if err != nil {
		return err
	}
	g.merger.setHigh(w, high)
	// The stream may have passed the high set already, with no
	// transaction to follow on an idle source: the window closes at a
	// position transaction then. Asked for again until the window closed,
	// as one asked for while a transaction was being read is not sent.
	if g.position != nil {
		g.position()
	}
	go g.await(ctx, w)
	return nil
}

// await asks for a position transaction every positionAgain until w
// closed, and says every waitLog what the stream has yet to pass (on
// MariaDB, a domain of the high position that the stream's lacks or has
// not reached).
func (g *gtidMarks) await(ctx context.Context, w *window) {
	t := time.NewTicker(positionAgain)
	defer t.Stop()
	start, lastLog := time.Now(), time.Now()
	for g.merger.inFlight(w) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if g.position != nil {
			g.position()
		}
		if time.Since(lastLog) < waitLog {
			continue
		}
		lastLog = time.Now()
		if high, stream, ok := g.merger.behind(w); ok {
			g.log.Warn("waiting for the stream to pass a chunk's high GTID watermark", "table",
				w.plan.Table.QualifiedName(), "chunk", w.chunk, "waited", time.Since(start).Round(time.Second),
				"high", high, "stream", stream)
		}
	}
}

func (g *gtidMarks) close() error {
	if g.reader != nil {
		return g.reader.Close()
	}
	return nil
}
