package replicator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// startGTIDReplayCluster is startReplayCluster with GTID watermarks and a
// source user that may not write.
func startGTIDReplayCluster(t *testing.T, expr string) *replayCluster {
	t.Helper()
	c := startReplayCluster(t, expr, "    backfill_watermarks: gtid\n")
	c.src.Exec(t, readOnlyUser...)
	t.Setenv("TB_PW", "pw")
	raw, err := os.ReadFile(c.cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(c.cfg, []byte(strings.Replace(string(raw), "user: root", "user: tb\n    password_env: TB_PW", 1)), 0o600))
	return c
}

// On a source with GTID watermarks, read as a user that may not write:
// resync --keys repairs a deleted, a changed and an extra target row, and
// verify is clean; a replay into one sink brings the window's rows up to
// date there alone, its rows durable when it returns even on an idle
// source (they ride a position transaction); the source is never
// written.
func TestResyncAndReplayGTIDWatermarks(t *testing.T) {
	c := startGTIDReplayCluster(t, "lower(name)")
	cmd, stderr := c.run(t)
	db := c.src.DB(t, "")
	for i := 1; i <= 20; i++ {
		c.src.Exec(t, fmt.Sprintf("INSERT INTO app.users VALUES (%d, 'Ann%d', 'a%d@x')", i, i, i))
	}
	c.caughtUp(t)
	target := func(where string) []string {
		return dump(t, c.tgt.DB(t, ""), "SELECT id, name, email FROM tgt.users WHERE "+where+" ORDER BY id")
	}

	// resync --keys on the idle source.
	c.tgt.Exec(t, "DELETE FROM tgt.users WHERE id = 3",
		"UPDATE tgt.users SET email = 'wrong' WHERE id = 4",
		"INSERT INTO tgt.users VALUES (500, 'ghost', 'g@x')")
	out, err := c.tributary(t, "verify", "--settle", "1s")
	require.Error(t, err, "%s", out)
	keys := filepath.Join(t.TempDir(), "keys.tsv")
	require.NoError(t, os.WriteFile(keys, []byte("3\n4\n500\n"), 0o600))
	out, err = c.tributary(t, "resync", "--mapping", "tgt.users", "--keys", keys, "--settle", "5s")
	require.NoError(t, err, "%s", out)
	t.Logf("resync:\n%s", out)
	require.Contains(t, out, "verified again, no differences")
	require.Equal(t, []string{`"3"|"ann3"|"a3@x"|`, `"4"|"ann4"|"a4@x"|`}, target("id IN (3, 4, 500)"))
	out, err = c.tributary(t, "verify", "--settle", "1s")
	require.NoError(t, err, "%s", out)

	// A window of writes, mapped by the mistaken mapping.
	from := gtidPos(t, db)
	c.src.Exec(t, "UPDATE app.users SET name = 'Bob' WHERE id = 2", "DELETE FROM app.users WHERE id = 5",
		"INSERT INTO app.users VALUES (30, 'Cy', 'c@x')")
	to := gtidPos(t, db)
	c.caughtUp(t)
	require.Equal(t, []string{`"2"|"bob"|"a2@x"|`, `"30"|"cy"|"c@x"|`}, target("id IN (2, 5, 30)"))
	require.NoError(t, os.WriteFile(c.mapFile, []byte(usersMapping("name")), 0o600))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, 30*time.Second, "the mappings to reload", func() bool { return strings.Contains(stderr.String(), "mappings reloaded") })

	// Into the target alone, while the source stays idle.
	lines := len(readEnvelopes(t, c.out))
	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
	require.NoError(t, err, "%s", out)
	t.Logf("replay:\n%s", out)
	require.Regexp(t, `app\.users\s+3\s+3\s+2\s+1\s+0\n`, out, "2 rows read again, 1 gone")
	require.Equal(t, []string{`"1"|"ann1"|"a1@x"|`, `"2"|"Bob"|"a2@x"|`, `"30"|"Cy"|"c@x"|`}, target("id IN (1, 2, 5, 30)"),
		"the window's rows as the fixed mapping makes them, the others untouched")
	require.Len(t, readEnvelopes(t, c.out), lines, "the jsonl sink got nothing")

	// Into the jsonl sink alone: durable when the replay returns.
	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "out")
	require.NoError(t, err, "%s", out)
	ops := map[string]int{}
	for _, e := range readEnvelopes(t, c.out)[lines:] {
		ops[e.Op]++
	}
	require.Equal(t, map[string]int{"read": 2, "delete": 1}, ops)

	// Under writes, the replay's chunks wait for a transaction of their own.
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		w := c.src.DB(t, "")
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := w.Exec("UPDATE app.users SET email = ? WHERE id = 20", fmt.Sprintf("busy%d@x", i)); err != nil {
				done <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
	close(stop)
	require.NoError(t, <-done)
	require.NoError(t, err, "%s", out)
	c.caughtUp(t)
	out, err = c.tributary(t, "verify", "--settle", "1s", "--mapping", "tgt.users", "--where", "id IN (2, 5, 20, 30)")
	require.NoError(t, err, "%s", out)
	requireUnwritten(t, db)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}

// backfilling reports whether a table of the source's backfill is not
// done yet, from /status.
func backfilling(t *testing.T, listen string) bool {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st []replicator.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	for _, s := range st {
		for _, b := range s.Backfill {
			if !b.Done {
				return true
			}
		}
	}
	return false
}

// A replay on a source with GTID watermarks while its backfill copies
// and a workload races both: the replay's chunks take turns with the
// backfill's, and a consumer applying the jsonl file still ends with
// exactly the source's rows.
func TestReplayGTIDDuringBackfill(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 3000)
	srv.Exec(t, readOnlyUser...)
	cfgPath, out := writeGTIDBackfillConfig(t, t.TempDir(), srv, "    backfill_max_rows_per_second: 1000\n")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		waitFor(t, 30*time.Second, "the backfill to begin", func() bool { return backfilling(t, cfg.HTTP.Listen) })
		ctx, stop := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- churn(ctx, db, 31, 3000) }()
		from := gtidPos(t, db)
		time.Sleep(time.Second)
		to := gtidPos(t, db)
		require.True(t, backfilling(t, cfg.HTTP.Listen), "the backfill ended before the replay began")
		got, err := exec.Command(bin, "replay", "--config", cfgPath, "--source", "alpha", "--from", from, "--to", to,
			"--sink", "out").CombinedOutput()
		require.NoError(t, err, "%s", got)
		t.Logf("replay:\n%s", got)
		require.Contains(t, string(got), "app.t")
		stop()
		require.NoError(t, <-errc)
		waitCaughtUp(t, cfgPath)
	})
	requireSameRows(t, out, db)
	requireUnwritten(t, db)
}
