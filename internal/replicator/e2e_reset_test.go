package replicator_test

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// purgeBinlogs rotates the server's binary log and purges every earlier
// one. MariaDB keeps a binlog until InnoDB no longer needs it for crash
// recovery, shortly after the rotation, so the purge is tried until the
// current file is the only one left.
func purgeBinlogs(t *testing.T, db *sql.DB) {
	t.Helper()
	_, err := db.Exec("FLUSH BINARY LOGS")
	require.NoError(t, err)
	waitFor(t, 30*time.Second, "the old binary logs to be purged", func() bool {
		var file, pos, a, b, c string
		if err := db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &a, &b); err != nil {
			// Servers without the GTID column.
			if err := db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &a, &b, &c); err != nil {
				return false
			}
		}
		if _, err := db.Exec(fmt.Sprintf("PURGE BINARY LOGS TO '%s'", file)); err != nil {
			return false
		}
		var n int
		rows, err := db.Query("SHOW BINARY LOGS")
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			n++
		}
		return rows.Err() == nil && n == 1
	})
}

// TestCheckpointResetAfterPurge: a source whose checkpoint was purged
// from its server's binary logs is refused with the error naming
// checkpoint reset --backfill; that one command (refused while the
// service runs) moves the source to the current position and saves a
// backfill of its tables, so the next run streams from there and copies
// what changed in the gap: a consumer of the jsonl file ends with the
// source's rows.
func TestCheckpointResetAfterPurge(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 300)
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, "")
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "backfill: initial", "start: current", 1)), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	reset := func() (string, error) {
		out, err := exec.Command(bin, "checkpoint", "reset", "--config", cfgPath, "--source", "alpha", "--backfill").CombinedOutput()
		return string(out), err
	}

	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		srv.Exec(t, "UPDATE app.t SET v = 'streamed' WHERE id <= 10")
		waitCaughtUp(t, cfgPath)
		got, err := reset()
		require.Error(t, err)
		require.Contains(t, got, "stop the running service first")
	})

	// While the service is stopped, the gap: rows added and changed,
	// then the binary logs that hold them purged.
	srv.Exec(t, "INSERT INTO app.t SELECT 1000 + seq, 'gap' FROM app.seq_1_to_150",
		"UPDATE app.t SET v = 'gap update' WHERE id BETWEEN 100 AND 120",
		"UPDATE app.c SET v = 'gap' WHERE n < 5")
	purgeBinlogs(t, db)
	err = refused(t, cfg, replicator.Options{})
	require.ErrorContains(t, err, "tributary checkpoint reset --source NAME --backfill")

	got, err := reset()
	require.NoError(t, err, "%s", got)
	require.Regexp(t, `alpha: checkpoint reset to the current position gtid=\S+ file=\S+ pos=\d+ \(was gtid=`, got)
	require.Contains(t, got, "backfill app.t (key id, about 450 rows)")
	require.Contains(t, got, "backfill app.c (key team,n, about 150 rows)")
	require.Contains(t, got, "backfill app.empty (key id)\n")
	require.Contains(t, got, "4 backfills saved")

	runWhile(t, cfg, replicator.Options{}, func() {
		srv.Exec(t, "INSERT INTO app.t VALUES (5000, 'after')", "UPDATE app.t SET v = 'after' WHERE id = 1")
		waitCaughtUp(t, cfgPath)
	})
	envs := normalize(readEnvelopes(t, out))
	for _, tc := range []struct {
		table string
		key   []string
	}{{"t", []string{"id"}}, {"c", []string{"team", "n"}}, {"u", []string{"code"}}} {
		want := sourceState(t, db, "app."+tc.table, tc.key...)
		require.Equal(t, want, replayState(t, envs, tc.table, tc.key...), "table %s", tc.table)
	}
}
