package replicator_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// namesMapping copies the users of the first account shard with name
// computed by expr.
func namesMapping(expr string) string {
	return `target: global.member_names
key: [id]
sources:
  - source: jp-accounts
    table: accounts.users
    driving: true
    columns:
      id: id
      name: ` + expr + `
`
}

// SIGHUP loads the mappings again: a changed expression applies to the
// changes after it; a mapping that no longer fits the live schema, or
// that reads another table, is refused with every problem in the log, and
// the running mappings go on.
func TestSighupReloadsMappings(t *testing.T) {
	d := startDemoCluster(t)
	d.target.Exec(t, "CREATE TABLE global.member_names (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(255))")
	file := d.addMapping(t, "member_names.yaml", namesMapping("name"))
	cmd, stderr := d.run(t)
	d.caughtUp(t)
	const user = "INSERT INTO accounts.users (id, email, name, created_at) VALUES (%s, 'u%s@example.com', 'Ann', NOW(6))"
	insert := func(id string) {
		d.accounts.Exec(t, strings.ReplaceAll(user, "%s", id))
		d.caughtUp(t)
	}
	names := func() []string {
		return dump(t, d.target.DB(t, ""), "SELECT id, name FROM global.member_names ORDER BY id")
	}
	hup := func(wantLog string) {
		t.Helper()
		before := strings.Count(stderr.String(), wantLog)
		require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
		waitFor(t, 30*time.Second, wantLog, func() bool { return strings.Count(stderr.String(), wantLog) > before })
	}
	insert("1")

	require.NoError(t, os.WriteFile(file, []byte(namesMapping("upper(name)")), 0o600))
	hup("mappings reloaded")
	insert("2")

	// A column the source does not have: refused where it is.
	require.NoError(t, os.WriteFile(file, []byte(namesMapping("lower(nickname)")), 0o600))
	hup("keeping the running mappings")
	require.Contains(t, stderr.String(), "member_names.yaml")
	require.Contains(t, stderr.String(), "nickname")
	insert("3")

	// Another source table: needs a restart.
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(namesMapping("name"), "accounts.users", "accounts.user_profiles", 1)), 0o600))
	hup("needs a restart")
	insert("4")

	require.Equal(t, []string{`"1"|"Ann"|`, `"2"|"ANN"|`, `"3"|"ANN"|`, `"4"|"ANN"|`}, names())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}
