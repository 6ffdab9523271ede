package replicator_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// readOnlyUser is a source user that cannot write: the least privileges
// of a stream.
var readOnlyUser = []string{
	"CREATE USER 'tb'@'127.0.0.1' IDENTIFIED BY 'pw'",
	"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'tb'@'127.0.0.1'",
}

// writeGTIDBackfillConfig is writeBackfillConfig with GTID watermarks, the
// read-only user and extra source settings.
func writeGTIDBackfillConfig(t *testing.T, dir string, srv *testenv.Server, extra string) (string, string) {
	t.Helper()
	t.Setenv("TB_PW", "pw")
	// The chunk size stays at 97 rows: many chunks, each a window for
	// the workload to cross, and the chunk counts the tests rely on.
	path, out := writeBackfillConfig(t, dir, srv, "    backfill_watermarks: gtid\n    backfill_chunk_rows_max: 97\n"+extra)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), "user: root", "user: tb\n    password_env: TB_PW", 1)), 0o600))
	return path, out
}

// otherDomain updates, deletes and re-inserts single rows of app.t with
// ids in (minID, maxID] in GTID domain 1 until ctx ends, so the stream's
// positions have two domains that move independently. Each statement is
// its own transaction, so it cannot deadlock with churn's.
func otherDomain(ctx context.Context, srv *testenv.Server, seed uint64, minID, maxID int) error {
	cfg, err := mysql.ParseDSN(srv.DSN("root", "", ""))
	if err != nil {
		return err
	}
	cfg.Params["gtid_domain_id"] = "1"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(seed, 2))
	for ctx.Err() == nil {
		id := minID + rng.IntN(maxID-minID) + 1
		var q string
		switch rng.IntN(3) {
		case 0:
			q = fmt.Sprintf("UPDATE app.t SET v = CONCAT(v, '#') WHERE id = %d", id)
		case 1:
			q = fmt.Sprintf("DELETE FROM app.t WHERE id = %d", id)
		case 2:
			q = fmt.Sprintf("INSERT IGNORE INTO app.t VALUES (%d, 'domain 1')", id)
		}
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// requireSameRows checks that applying the jsonl file leaves exactly the
// rows db holds, table by table.
func requireSameRows(t *testing.T, out string, db *sql.DB) {
	t.Helper()
	envs := normalize(readEnvelopes(t, out))
	reads := map[string]int{}
	for _, e := range envs {
		require.NotEqual(t, "tributary", e.Schema, "a watermark reached the sink")
		if e.Op == "read" {
			reads[e.Table]++
		}
	}
	require.Positive(t, reads["t"])
	require.Positive(t, reads["c"])
	for _, tc := range []struct {
		table string
		key   []string
	}{{"t", []string{"id"}}, {"c", []string{"team", "n"}}, {"u", []string{"code"}}, {"empty", []string{"id"}}} {
		want := sourceState(t, db, "app."+tc.table, tc.key...)
		got := replayState(t, envs, tc.table, tc.key...)
		require.Equal(t, len(want), len(got), "table %s", tc.table)
		require.Equal(t, want, got, "table %s", tc.table)
	}
	t.Logf("%d lines, reads by table %v", len(envs), reads)
}

// requireUnwritten checks that nothing of Tributary's is on the server.
func requireUnwritten(t *testing.T, db *sql.DB) {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		backfill.WatermarkSchema).Scan(&n))
	require.Zero(t, n, "the source was written to")
}

// TestBackfillGTIDReadOnly backfills with GTID watermarks as a user that
// may not write, while a workload in two GTID domains updates, deletes,
// re-inserts and re-keys rows: a consumer that applies the jsonl file
// ends with exactly the source's rows, and the source holds nothing of
// Tributary's.
func TestBackfillGTIDReadOnly(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 3000)
	srv.Exec(t, readOnlyUser...)
	dir := t.TempDir()
	cfgPath, out := writeGTIDBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		ctx, stop := context.WithCancel(t.Context())
		errc := make(chan error, 2)
		go func() { errc <- churn(ctx, db, 11, 3000) }()
		go func() { errc <- otherDomain(ctx, srv, 12, 0, 3000) }()
		time.Sleep(2 * time.Second)
		stop()
		require.NoError(t, <-errc)
		require.NoError(t, <-errc)
		waitCaughtUp(t, cfgPath)
	})
	var pos string
	require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	require.Contains(t, pos, "1-1-", "the workload wrote no second domain")
	requireSameRows(t, out, db)
	requireUnwritten(t, db)
}

// TestBackfillGTIDIdleSource backfills with GTID watermarks a source that
// takes no writes at all: no transaction follows a chunk's high
// watermark, and every chunk still enters the stream, at a position
// transaction, promptly.
func TestBackfillGTIDIdleSource(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 2000) // 21 chunks of app.t alone
	srv.Exec(t, readOnlyUser...)
	dir := t.TempDir()
	cfgPath, out := writeGTIDBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	db := srv.DB(t, "")
	var before string
	require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&before))
	_, err = testenv.BuildTributary() // not timed
	require.NoError(t, err)
	start := time.Now()
	runWhile(t, cfg, replicator.Options{}, func() { waitCaughtUp(t, cfgPath) })
	elapsed := time.Since(start)
	var after string
	require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&after))
	require.Equal(t, before, after, "the source took a write")
	requireSameRows(t, out, db)
	requireUnwritten(t, db)
	// 35 chunks in all; waiting for the 10 s heartbeat per chunk would
	// take minutes.
	require.Less(t, elapsed, 30*time.Second)
	t.Logf("idle backfill took %s", elapsed.Round(time.Millisecond))
}

// startReplica starts a server replicating srv by GTID from its first
// event, applying two domains in parallel, and waits until it runs.
func startReplica(t *testing.T, srv *testenv.Server) *testenv.Server {
	t.Helper()
	rep := testenv.StartT(t, testenv.Options{ServerID: 2, ExtraArgs: []string{"--slave-parallel-threads=4",
		"--slave-parallel-mode=optimistic"}})
	rep.Exec(t, fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', "+
		"MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos", srv.Port), "START SLAVE")
	db := rep.DB(t, "")
	waitFor(t, 30*time.Second, "the replica to run", func() bool {
		var running string
		row := db.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVE_RUNNING'")
		return row.Scan(&running) == nil && running == "ON"
	})
	return rep
}

// TestBackfillGTIDFromReplica reads the chunks on a replica (parallel
// replication, two domains) while the workload runs on the writer: the
// copy equals the writer's rows, and neither server was written by
// Tributary.
func TestBackfillGTIDFromReplica(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	rep := startReplica(t, srv)
	preload(t, srv, 4000)
	srv.Exec(t, readOnlyUser...)
	// The user must be there before the service starts.
	var pos string
	var waited int
	require.NoError(t, srv.DB(t, "").QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	require.NoError(t, rep.DB(t, "").QueryRow("SELECT MASTER_GTID_WAIT(?, 60)", pos).Scan(&waited))
	require.Zero(t, waited, "the replica did not catch up")
	dir := t.TempDir()
	cfgPath, out := writeGTIDBackfillConfig(t, dir, srv,
		fmt.Sprintf("    backfill_read_host: 127.0.0.1\n    backfill_read_port: %d\n", rep.Port))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	db := srv.DB(t, "")
	selects := func() int {
		var n int
		require.NoError(t, rep.DB(t, "").QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "+
			"WHERE VARIABLE_NAME = 'COM_SELECT'").Scan(&n))
		return n
	}
	before := selects()
	runWhile(t, cfg, replicator.Options{}, func() {
		ctx, stop := context.WithCancel(t.Context())
		errc := make(chan error, 2)
		// A replica applying domains in parallel keeps no order between
		// them, so the two domains touch disjoint rows, as they must on
		// such a replica: churn ids up to 3000 (its key moves included),
		// the other domain ids 3001 to 4000.
		go func() { errc <- churn(ctx, db, 21, 1000) }()
		go func() { errc <- otherDomain(ctx, srv, 22, 3000, 4000) }()
		time.Sleep(2 * time.Second)
		stop()
		require.NoError(t, <-errc)
		require.NoError(t, <-errc)
		waitCaughtUp(t, cfgPath)
	})
	// About 68 chunks, and a few statements each; the writer would do with
	// none.
	require.Greater(t, selects()-before, 48, "the chunks were not read on the replica")
	requireSameRows(t, out, db)
	requireUnwritten(t, db)
	requireUnwritten(t, rep.DB(t, ""))
}

// TestBackfillGTIDRefusals: a read host that does not replicate the
// source refuses the start with what to do, and so does a read host
// without GTID watermarks.
func TestBackfillGTIDRefusals(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	lone := testenv.StartT(t, testenv.Options{ServerID: 3})
	preload(t, srv, 100)
	srv.Exec(t, readOnlyUser...)
	lone.Exec(t, readOnlyUser...)
	dir := t.TempDir()
	cfgPath, _ := writeGTIDBackfillConfig(t, dir, srv,
		fmt.Sprintf("    backfill_read_host: 127.0.0.1\n    backfill_read_port: %d\n", lone.Port))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	err = refused(t, cfg, replicator.Options{})
	require.ErrorIs(t, err, backfill.ErrNoGTIDs)
	require.ErrorContains(t, err, fmt.Sprintf("backfill_read_host 127.0.0.1:%d has applied no GTID of source alpha", lone.Port))
	require.ErrorContains(t, err, "MASTER_USE_GTID=slave_pos")

	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "backfill_watermarks: gtid", "backfill_watermarks: table", 1)), 0o600))
	_, err = config.Load(cfgPath)
	require.ErrorContains(t, err, "backfill_read_host: needs backfill_watermarks: gtid")
}

// TestBackfillGTIDResumes stops the service while a GTID-watermarked
// backfill is under way with a workload running, and starts it again:
// the copy resumes from the durable cursors and still equals the source.
func TestBackfillGTIDResumes(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 3000)
	srv.Exec(t, readOnlyUser...)
	dir := t.TempDir()
	cfgPath, out := writeGTIDBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	db := srv.DB(t, "")
	ctx, stop := context.WithCancel(t.Context())
	errc := make(chan error, 2)
	go func() { errc <- churn(ctx, db, 31, 3000) }()
	go func() { errc <- otherDomain(ctx, srv, 32, 0, 3000) }()
	runWhile(t, cfg, replicator.Options{}, func() {
		waitFor(t, time.Minute, "some chunks copied, some not", func() bool {
			chunks, pending := 0, 0
			for _, s := range fetchStatus(cfg) {
				for _, b := range s.Backfill {
					chunks += int(b.Chunks)
					if !b.Done {
						pending++
					}
				}
			}
			return chunks >= 10 && pending > 0
		})
	})
	runWhile(t, cfg, replicator.Options{}, func() {
		time.Sleep(time.Second)
		stop()
		require.NoError(t, <-errc)
		require.NoError(t, <-errc)
		waitCaughtUp(t, cfgPath)
	})
	requireSameRows(t, out, db)
	requireUnwritten(t, db)
}

// TestBackfillGTIDAcrossDDL adds and drops a column of the table being
// backfilled again and again, with GTID watermarks: a chunk that a
// statement on its table came after is read again, so every copied row
// has the columns the table had where the row went into the stream (read
// by binlog offsets, since rows may ride with a position transaction,
// which has no GTID), and the rows end as the source's.
func TestBackfillGTIDAcrossDDL(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 10000)
	srv.Exec(t, readOnlyUser...)
	dir := t.TempDir()
	cfgPath, out := writeGTIDBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	type ddl struct {
		end   uint32 // offset after the statement
		added bool
	}
	var ddls []ddl
	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		conn, err := db.Conn(t.Context())
		require.NoError(t, err)
		defer conn.Close()
		done := func() bool {
			for _, s := range fetchStatus(cfg) {
				for _, b := range s.Backfill {
					if b.Table == "app.t" {
						return b.Done
					}
				}
			}
			return false
		}
		deadline := time.Now().Add(2 * time.Minute)
		for i := 0; !done() || len(ddls) < 2; i++ {
			require.True(t, time.Now().Before(deadline), "the backfill did not end (or the service stopped)")
			stmt := "ALTER TABLE app.t ADD COLUMN extra INT NOT NULL DEFAULT 7"
			if i%2 == 1 {
				stmt = "ALTER TABLE app.t DROP COLUMN extra"
			}
			_, err := conn.ExecContext(t.Context(), stmt)
			require.NoError(t, err)
			var file string
			var end uint32
			var doDB, ignoreDB sql.NullString
			require.NoError(t, conn.QueryRowContext(t.Context(), "SHOW MASTER STATUS").Scan(&file, &end, &doDB, &ignoreDB))
			require.Equal(t, "mysql-bin.000001", file)
			ddls = append(ddls, ddl{end: end, added: i%2 == 0})
			time.Sleep(5 * time.Millisecond)
		}
		if ddls[len(ddls)-1].added {
			_, err := conn.ExecContext(t.Context(), "ALTER TABLE app.t DROP COLUMN extra")
			require.NoError(t, err)
		}
		waitCaughtUp(t, cfgPath)
	})

	envs := normalize(readEnvelopes(t, out))
	with, without := 0, 0
	for _, e := range envs {
		if e.Table != "t" || e.Op != "read" {
			continue
		}
		added := false
		for _, d := range ddls {
			if d.end <= e.Binlog.Pos {
				added = d.added
			}
		}
		_, has := e.After["extra"]
		require.Equal(t, added, has, "row %v copied at offset %d, after the statements %v", e.Key, e.Binlog.Pos, ddls)
		if has {
			with++
		} else {
			without++
		}
	}
	require.Positive(t, with+without)
	for i := range envs {
		delete(envs[i].Before, "extra")
		delete(envs[i].After, "extra")
	}
	require.Equal(t, sourceState(t, db, "app.t", "id"), replayState(t, envs, "t", "id"))
	requireUnwritten(t, db)
	t.Logf("%d statements; rows copied with the column %d, without %d", len(ddls), with, without)
}
