package replicator_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// run starts tributary run on the cluster's config, with stderr captured.
func (d *demoCluster) run(t *testing.T) (*exec.Cmd, *testenv.LogBuffer) {
	t.Helper()
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	stderr := &testenv.LogBuffer{}
	cmd := exec.Command(bin, "run", "--config", d.cfg)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			lines := strings.Split(stderr.String(), "\n")
			t.Logf("the last lines of tributary's log:\n%s", strings.Join(lines[max(0, len(lines)-150):], "\n"))
		}
	})
	d.stderr = stderr
	return cmd, stderr
}

// tributary runs a one-shot subcommand on the cluster's config.
func (d *demoCluster) tributary(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	out, err := exec.Command(bin, append(args, "--config", d.cfg)...).CombinedOutput()
	return string(out), err
}

// setSinkOption adds a line to the mysql sink's settings.
func (d *demoCluster) setSinkOption(t *testing.T, line string) {
	t.Helper()
	data, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	s := strings.Replace(string(data), "    mysql:\n", "    mysql:\n      "+line+"\n", 1)
	require.NoError(t, os.WriteFile(d.cfg, []byte(s), 0o600))
}

const cooksnap = "INSERT INTO recipes.cooksnaps (id, recipe_id, user_id, comment, created_at) VALUES (%d, 1, 1, '%s', NOW(6))"

func insertCooksnap(t *testing.T, d *demoCluster, id int, comment string) {
	t.Helper()
	d.recipes.Exec(t, fmt.Sprintf(cooksnap, id, comment))
}

// With on_error: halt, a change the target refuses stops the service
// before the failing transaction; once the cause is fixed, a restart
// applies it and what follows.
func TestHaltThenResumeAfterFix(t *testing.T) {
	d := startDemoCluster(t)
	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(5)")
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	insertCooksnap(t, d, 1, "ok")
	insertCooksnap(t, d, 2, "far too long")
	failing := gtidPosition(t, d.recipes)
	insertCooksnap(t, d, 3, "fine")

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Error(t, err, "the service must stop on a permanent error")
	case <-time.After(time.Minute):
		t.Fatal("the service did not halt")
	}
	require.Contains(t, stderr.String(), "global.cooksnaps")
	require.NotContains(t, stderr.String(), "far too long", "row values must not reach the logs")
	// Row 3 may already be applied by another worker; row 2 is not, and
	// the checkpoint is before its transaction, so a restart replays it.
	rows := dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id")
	require.Contains(t, rows, `"1"|"ok"|`)
	require.NotContains(t, rows, `"2"|"far too long"|`)
	out, err := d.tributary(t, "checkpoint", "show")
	require.NoError(t, err, out)
	var cp string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "jp-recipes" {
			cp = f[2]
		}
	}
	require.Less(t, gtidSeq(t, cp), gtidSeq(t, failing), "checkpoint %s must be before the failing transaction %s", cp, failing)

	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(1024)")
	cmd, _ = d.run(t)
	d.waitCaughtUp(t, "1m")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.Equal(t, []string{`"1"|"ok"|`, `"2"|"far too long"|`, `"3"|"fine"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))
}

// With on_error: record, the refused change lands in the failed store and
// the stream goes on.
func TestRecordAndContinue(t *testing.T) {
	d := startDemoCluster(t)
	d.setSinkOption(t, "on_error: record")
	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(5)")
	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	insertCooksnap(t, d, 1, "ok")
	insertCooksnap(t, d, 2, "far too long")
	insertCooksnap(t, d, 3, "fine")
	d.waitCaughtUp(t, "1m")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.Equal(t, []string{`"1"|"ok"|`, `"3"|"fine"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))
	out, err := d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "global.cooksnaps")
	require.Contains(t, out, "1 failed change\n")
	out, err = d.tributary(t, "failed", "show", "1")
	require.NoError(t, err, out)
	require.Contains(t, out, "far too long", "show prints the values for the operator")
}

// A target that is down for 30 s mid-stream costs lag, not data: the
// service keeps running and converges when the target is back. While the
// target or a source is down, /readyz says which; /healthz stays ok.
func TestTargetOutage(t *testing.T) {
	d := startDemoCluster(t)
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)
	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	waitFor(t, 30*time.Second, "ready", func() bool { code, _ := probe(cfg, "/readyz"); return code == http.StatusOK })
	ctx, stop := context.WithCancel(t.Context())
	loadErr := make(chan error, 1)
	go func() { loadErr <- d.load(ctx, 11, 0) }()
	time.Sleep(2 * time.Second)
	require.NoError(t, d.target.Stop())
	waitFor(t, 20*time.Second, "not ready while the target is down", func() bool {
		code, body := probe(cfg, "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "sink target: reaching the target")
	})
	code, _ := probe(cfg, "/healthz")
	require.Equal(t, http.StatusOK, code)
	// The lag rises while the target is down, on every source the load
	// writes to.
	waitFor(t, 45*time.Second, "the lag to rise", func() bool { return lagOf(t, cfg, "jp-recipes") > 10 })
	require.Greater(t, metricOf(t, cfg, "tributary_checkpoint_age_seconds", "jp-recipes"), 5.0,
		"the checkpoint ages while the target is down")
	time.Sleep(15 * time.Second)
	require.NoError(t, d.target.Restart(t.Context()))
	time.Sleep(2 * time.Second)
	stop()
	require.NoError(t, <-loadErr)
	d.waitCaughtUp(t, "3m")
	waitFor(t, time.Minute, "the lag to fall to 0", func() bool { return lagOf(t, cfg, "jp-recipes") == 0 })

	require.NoError(t, d.recipes.Stop())
	waitFor(t, 20*time.Second, "not ready while a source is down", func() bool {
		code, body := probe(cfg, "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "source jp-recipes: not streaming") ||
			strings.Contains(body, "jp-accounts") {
			return false
		}
		for _, s := range fetchStatus(cfg) {
			if s.Streaming != (s.Source != "jp-recipes") {
				return false
			}
		}
		return true
	})
	require.NoError(t, d.recipes.Restart(t.Context()))
	waitFor(t, time.Minute, "ready again", func() bool { code, _ := probe(cfg, "/readyz"); return code == http.StatusOK })
	require.Nil(t, cmd.ProcessState, "the service must not exit during the outage")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	d.requireConverged(t)
}

// probe GETs path from the running service: its status code and body, 0
// while it does not answer.
func probe(cfg *config.Config, path string) (int, string) {
	resp, err := http.Get("http://" + cfg.HTTP.Listen + path)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// gtidPosition returns the server's current GTID position.
func gtidPosition(t *testing.T, s *testenv.Server) string {
	t.Helper()
	var pos string
	require.NoError(t, s.DB(t, "").QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	return pos
}

// lagOf returns a source's tributary_apply_lag_seconds, -1 while the
// service does not answer.
func lagOf(t *testing.T, cfg *config.Config, source string) float64 {
	return metricOf(t, cfg, "tributary_apply_lag_seconds", source)
}

// metricOf returns the value of a gauge labelled only by source, -1 while
// the service does not answer.
func metricOf(t *testing.T, cfg *config.Config, name, source string) float64 {
	return metricLine(t, cfg, name+`{source="`+source+`"} `)
}

// metricLine returns the value of the metric line that starts with
// prefix, -1 while the service does not answer or has no such line.
func metricLine(t *testing.T, cfg *config.Config, prefix string) float64 {
	code, body := probe(cfg, "/metrics")
	if code != http.StatusOK {
		return -1
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return f
		}
	}
	return -1
}

// Rows larger than one protocol packet (a full MEDIUMTEXT) reach the
// target whole, also two in one transaction. The reader does not read on
// while such a row is in use; the sink letting it go is what ends the
// wait, not the wait's time limit.
func TestLargeRowsReachTheTarget(t *testing.T) {
	d := startDemoCluster(t)
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	const full = 1<<24 - 1 // MEDIUMTEXT's limit
	recipe := func(tx *sql.Tx, id int, fill string) {
		_, err := tx.Exec("INSERT INTO recipes.recipes (id, user_id, title, description, status) VALUES (?, 1, ?, REPEAT(?, ?), 'published')",
			id, fmt.Sprintf("Recipe %d", id), fill, full)
		require.NoError(t, err)
	}
	db := d.recipes.DB(t, "")
	for _, ids := range [][]int{{1}, {2, 3}, {4}} {
		tx, err := db.Begin()
		require.NoError(t, err)
		for _, id := range ids {
			recipe(tx, id, string(rune('a'+id)))
		}
		require.NoError(t, tx.Commit())
	}
	d.waitCaughtUp(t, "2m")
	var want []string
	for id := 1; id <= 4; id++ {
		want = append(want, fmt.Sprintf(`"%d"|"%d"|"%c"|"1"|`, id, full, 'a'+id))
	}
	require.Equal(t, want, dump(t, d.target.DB(t, ""), fmt.Sprintf(
		"SELECT id, LENGTH(description), LEFT(description, 1), description = REPEAT(LEFT(description, 1), %d) FROM global.recipes WHERE id <= 4 ORDER BY id", full)))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.NotContains(t, stderr.String(), "reading on while a large event is still in use")
	d.requireConverged(t)
}
