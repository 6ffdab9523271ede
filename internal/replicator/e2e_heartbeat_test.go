package replicator_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
)

// With a heartbeat, an idle source's lag is measured end to end: it stays
// small while nothing else happens, rises while the target hangs on the
// one change the source sent (the position-based lag cannot see that: the
// stream has handed everything over), and falls once the target is back.
// The heartbeat rows themselves reach no sink.
func TestHeartbeatLagOfAnIdleSource(t *testing.T) {
	d := startDemoCluster(t)
	data, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	withBeat := strings.Replace(string(data), "    server_id: 9002\n", "    server_id: 9002\n    heartbeat_interval: 300ms\n", 1)
	require.NotEqual(t, string(data), withBeat)
	require.NoError(t, os.WriteFile(d.cfg, []byte(withBeat), 0o600))
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)

	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	heartbeatLag := func(source string) float64 {
		return metricOf(t, cfg, "tributary_heartbeat_lag_seconds", source)
	}
	waitFor(t, 30*time.Second, "a small heartbeat lag on the idle source", func() bool {
		l := heartbeatLag("jp-recipes")
		return l >= 0 && l < 2
	})
	require.Equal(t, -1.0, heartbeatLag("jp-accounts"), "a source without a heartbeat has no heartbeat lag")
	var n int
	require.NoError(t, d.target.DB(t, "").QueryRow(
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tributary' AND TABLE_NAME = 'heartbeat'").Scan(&n))
	require.Zero(t, n, "heartbeat rows are not mapped to the target")

	require.NoError(t, d.target.Pause())
	resumed := false
	defer func() {
		if !resumed {
			_ = d.target.Resume()
		}
	}()
	insertCooksnap(t, d, 910001, "while the target hangs")
	waitFor(t, 45*time.Second, "the heartbeat lag to rise while the target hangs", func() bool {
		return heartbeatLag("jp-recipes") > 5
	})
	require.NoError(t, d.target.Resume())
	resumed = true
	waitFor(t, 90*time.Second, "the heartbeat lag to fall once the target is back", func() bool {
		l := heartbeatLag("jp-recipes")
		return l >= 0 && l < 2
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.Equal(t, []string{`"910001"|"while the target hangs"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps WHERE id = 910001"))
}
