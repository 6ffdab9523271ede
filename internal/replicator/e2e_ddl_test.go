package replicator_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A TRUNCATE of a mapped source table stops the service before the
// statement under the default ddl: halt, with the statement's kind, table
// and GTID in the error and the target untouched; with ddl: ignore set in
// the mapping, a restart goes past it and on.
func TestTruncateHaltsThenIgnoreGoesOn(t *testing.T) {
	d := startDemoCluster(t)
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	insertCooksnap(t, d, 1, "before")
	d.waitCaughtUp(t, "1m")
	d.recipes.Exec(t, "TRUNCATE recipes.cooksnaps")
	insertCooksnap(t, d, 2, "after")

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Error(t, err, "the service must stop before the TRUNCATE")
	case <-time.After(time.Minute):
		t.Fatal("the service did not halt on TRUNCATE")
	}
	logs := stderr.String()
	require.Contains(t, logs, "TRUNCATE of recipes.cooksnaps on source jp-recipes at GTID 2-2-")
	require.Contains(t, logs, "ddl: halt")
	require.Contains(t, logs, "checkpoint set --source jp-recipes --gtid")
	require.Equal(t, []string{`"1"|"before"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))

	// The operator accepts the divergence for this mapping.
	d.useMappings(t, "cooksnaps.yaml", func(s string) string {
		return strings.Replace(s, "key: [id]\n", "key: [id]\nddl: ignore\n", 1)
	})

	cmd, stderr = d.run(t)
	d.waitCaughtUp(t, "1m")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.Contains(t, stderr.String(), "going past a table statement")
	require.Equal(t, []string{`"1"|"before"|`, `"2"|"after"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))
}
