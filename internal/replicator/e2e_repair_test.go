package replicator_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// exitCode returns the exit code of a finished command's error.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	return ee.ExitCode()
}

// The failed changes and the ranges are read and edited through the
// running service, which holds the store; a failed change applies once
// the target is fixed, unless a later change of its row was applied
// meanwhile. With the service stopped the commands use the store.
func TestFailedAndRangesWhileRunning(t *testing.T) {
	d := startDemoCluster(t)
	d.setSinkOption(t, "on_error: record")
	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(5)")
	cmd, _ := d.run(t)
	d.waitCaughtUp(t, "1m")
	insertCooksnap(t, d, 1, "ok")
	insertCooksnap(t, d, 2, "far too long")
	insertCooksnap(t, d, 3, "also too long")
	// Row 3 changes again, and this time the target takes it.
	d.recipes.Exec(t, "UPDATE recipes.cooksnaps SET comment = 'short' WHERE id = 3")
	d.waitCaughtUp(t, "1m")

	out, err := d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "2 failed changes\n")
	require.Regexp(t, `\n2 .*global.cooksnaps\s+upsert\s+\(superseded\) error 1406`, out)
	out, err = d.tributary(t, "failed", "show", "1")
	require.NoError(t, err, out)
	require.Contains(t, out, "far too long")
	out, err = d.tributary(t, "failed", "show", "9")
	require.Equal(t, 2, exitCode(t, err), out)
	require.Contains(t, out, "no failed change with id 9")

	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(1024)")
	out, err = d.tributary(t, "failed", "retry", "--target", "global.cooksnaps")
	require.Equal(t, 1, exitCode(t, err), "a kept record is a finding: %s", out)
	require.Contains(t, out, "1   applied, record deleted\n")
	require.Contains(t, out, "2   kept, not applied: superseded")
	require.Contains(t, out, "1 applied, 1 kept\n")
	require.Equal(t, []string{`"1"|"ok"|`, `"2"|"far too long"|`, `"3"|"short"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))
	out, err = d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 failed change\n")
	out, err = d.tributary(t, "failed", "clear", "--target", "global.cooksnaps")
	require.NoError(t, err, out)
	require.Equal(t, "cleared 1 failed change (2)\n", out)

	keys := filepath.Join(t.TempDir(), "keys.csv")
	require.NoError(t, os.WriteFile(keys, []byte("1\n3\n"), 0o600))
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.cooksnaps", "--where", "id > 1", "--reason", "widened")
	require.NoError(t, err, out)
	require.Equal(t, "added range 1: global.cooksnaps where id > 1\n", out)
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.cooksnaps", "--keys", keys)
	require.NoError(t, err, out)
	require.Equal(t, "added range 2: global.cooksnaps 2 keys\n", out)
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.nope", "--where", "id > 1")
	require.Equal(t, 2, exitCode(t, err), out)
	require.Contains(t, out, `--mapping "global.nope" is neither a loaded mapping file nor a target table of one`)
	// The running service refuses a range whose resync would fail.
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.cooksnaps", "--where", "id BETWEEN 1 AND")
	require.Equal(t, 2, exitCode(t, err), out)
	require.Contains(t, out, "a resync of this range would fail")
	require.Contains(t, out, "the server refuses")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("abc\n"), 0o600))
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.cooksnaps", "--keys", bad)
	require.Equal(t, 2, exitCode(t, err), out)
	require.Contains(t, out, "a resync of this range would fail: key 1, column id: reading a number")
	out, err = d.tributary(t, "ranges", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "2 open ranges\n")
	out, err = d.tributary(t, "ranges", "show", "2")
	require.NoError(t, err, out)
	require.Contains(t, out, `"3"`)
	out, err = d.tributary(t, "ranges", "clear", "1")
	require.NoError(t, err, out)
	require.Equal(t, "cleared 1 range (1)\n", out)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	out, err = d.tributary(t, "ranges", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 open range\n")
	out, err = d.tributary(t, "ranges", "clear", "--all")
	require.NoError(t, err, out)
	require.Equal(t, "cleared 1 range (2)\n", out)
	out, err = d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "0 failed changes\n")
}
