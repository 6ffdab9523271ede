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

// Under ddl: propagate a TRUNCATE of the single driving table empties the
// target, and the rows written after it land.
func TestTruncatePropagatesToTheTarget(t *testing.T) {
	d := startDemoCluster(t)
	d.useMappings(t, "cooksnaps.yaml", func(s string) string {
		return strings.Replace(s, "key: [id]\n", "key: [id]\nddl: propagate\n", 1)
	})
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	insertCooksnap(t, d, 1, "before")
	insertCooksnap(t, d, 3, "before too")
	d.waitCaughtUp(t, "1m")
	require.Len(t, dump(t, d.target.DB(t, ""), "SELECT id FROM global.cooksnaps"), 2)

	d.recipes.Exec(t, "TRUNCATE recipes.cooksnaps")
	insertCooksnap(t, d, 2, "after")
	d.waitCaughtUp(t, "1m")
	require.Equal(t, []string{`"2"|"after"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
	logs := stderr.String()
	require.Contains(t, logs, "carrying a table statement over to the target (ddl: propagate)")
	require.Contains(t, logs, "applied a table statement to the target")
}

// Under ddl: propagate a TRUNCATE of a non-driving table clears the
// columns it fills in every target row and leaves the rest.
func TestTruncateOfAContributorClearsItsColumns(t *testing.T) {
	d := startDemoCluster(t)
	// One account shard drives global.members: propagate needs a single
	// driving entry, each entry reading one table of one source.
	d.useMappings(t, "members.yaml", func(s string) string {
		s = strings.Replace(s, "key: [id]\n", "key: [id]\nddl: propagate\n", 1)
		second := `  - source: jp-accounts-2
    table: accounts.users
    driving: true
    owns: "id >= 1000000000"
    columns:
      id: "id + 1000000000"
      email: email
      display_name: name
`
		require.Contains(t, s, second)
		s = strings.Replace(s, second, "", 1)
		return strings.Replace(s, `source: "jp-accounts*"`, "source: jp-accounts", 1)
	})
	cmd, stderr := d.run(t)
	d.waitCaughtUp(t, "1m")
	a := d.accounts
	a.Exec(t, "INSERT INTO accounts.users (id, email, name, created_at) VALUES (7, 'u7@example.com', 'Seven', NOW(6))",
		"INSERT INTO accounts.users (id, email, name, created_at) VALUES (8, 'u8@example.com', 'Eight', NOW(6))",
		"INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES (7, 'bio 7', 'ja')",
		"INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES (8, 'bio 8', 'en')")
	d.waitCaughtUp(t, "1m")
	require.Equal(t, []string{`"7"|"u7@example.com"|"Seven"|"bio 7"|"ja"|`}, d.member(t, 7))

	a.Exec(t, "TRUNCATE accounts.user_profiles",
		"INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES (8, 'new bio 8', 'fr')")
	d.waitCaughtUp(t, "1m")
	require.Equal(t, []string{`"7"|"u7@example.com"|"Seven"|NULL|NULL|`}, d.member(t, 7), "cleared, the rest kept")
	require.Equal(t, []string{`"8"|"u8@example.com"|"Eight"|"new bio 8"|"fr"|`}, d.member(t, 8), "written after the truncate")
	require.Equal(t, []string{`"1"|`}, dump(t, d.target.DB(t, ""), "SELECT COUNT(*) FROM global.members WHERE bio IS NOT NULL"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}
