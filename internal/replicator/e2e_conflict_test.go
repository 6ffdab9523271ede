package replicator_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// collideAcrossShards inserts user 1 with a@x on one shard and, once the
// target has it (the shards are read independently), user 1 (1000000001
// on the target) with A@X on the other: the sources keep them apart, the
// target's unique key on email folds case.
func collideAcrossShards(t *testing.T, d *demoCluster) {
	t.Helper()
	d.accounts.Exec(t, "INSERT INTO accounts.users (id, email, name, created_at) VALUES (1, 'a@x', 'one', NOW(6))")
	d.waitCaughtUp(t, "1m")
	d.accounts2.Exec(t, "INSERT INTO accounts.users (id, email, name, created_at) VALUES (1, 'A@X', 'two', NOW(6))")
}

// waitExit waits for the service to stop by itself and returns its error.
// When it does not, it kills it and waits for that before failing: a
// second Wait while this one runs would never return.
func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("the service did not halt")
		return nil
	}
}

// A unique key collision outside a replay is a conflict: under on_error:
// halt the service stops before it and keeps the other row, and a restart
// meets the same conflict instead of taking it for a replay.
func TestUniqueKeyConflictHalts(t *testing.T) {
	d := startDemoCluster(t)
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	collideAcrossShards(t, d)
	require.Error(t, waitExit(t, cmd), "the service must stop on a conflict")
	require.Contains(t, stderr.String(), "unique key conflict")
	require.Contains(t, stderr.String(), "global.members")
	require.NotContains(t, strings.ToLower(stderr.String()), "a@x", "row values must not reach the logs")
	members := "SELECT id, email FROM global.members ORDER BY id"
	require.Equal(t, []string{`"1"|"a@x"|`}, dump(t, d.target.DB(t, ""), members))

	cmd, stderr = d.run(t)
	require.Error(t, waitExit(t, cmd), "a restart must meet the conflict again")
	require.Contains(t, stderr.String(), "unique key conflict")
	require.Equal(t, []string{`"1"|"a@x"|`}, dump(t, d.target.DB(t, ""), members))
}

// Under on_error: record the conflict lands in the failed store with both
// keys, the other row stays, and the metrics count it.
func TestUniqueKeyConflictRecorded(t *testing.T) {
	d := startDemoCluster(t)
	d.setSinkOption(t, "on_error: record")
	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	collideAcrossShards(t, d)
	d.waitCaughtUp(t, "1m")
	metrics := scrape(t, d)
	require.Regexp(t, `tributary_mysql_conflicts_total\{sink="target",target="global.members"\} 1\n`, metrics)
	require.Regexp(t, `tributary_mysql_failed_total\{sink="target",target="global.members"\} 1\n`, metrics)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())

	require.Equal(t, []string{`"1"|"a@x"|`}, dump(t, d.target.DB(t, ""), "SELECT id, email FROM global.members ORDER BY id"))
	out, err := d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "conflict")
	require.Contains(t, out, "global.members")
	require.Contains(t, out, "1 failed change\n")
	out, err = d.tributary(t, "failed", "show", "1")
	require.NoError(t, err, out)
	require.Regexp(t, `"key": \[\s*1000000001\s*\]`, out)
	require.Regexp(t, `"conflict_key": \[\s*1\s*\]`, out)
	require.Contains(t, out, "A@X")
}

// scrape returns the running service's /metrics.
func scrape(t *testing.T, d *demoCluster) string {
	t.Helper()
	return scrapeConfig(t, d.cfg)
}

// scrapeConfig returns /metrics of the service running with the
// configuration file cfg.
func scrapeConfig(t *testing.T, cfg string) string {
	t.Helper()
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^  listen: (\S+)$`).FindSubmatch(data)
	require.NotNil(t, m, "no http listen address in the config")
	resp, err := http.Get("http://" + string(m[1]) + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}
