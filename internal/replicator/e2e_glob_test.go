package replicator_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// addMapping writes a mapping file and names it in the cluster's
// configuration next to the demo mappings; it returns the file's path.
func (d *demoCluster) addMapping(t *testing.T, name, body string) string {
	t.Helper()
	file := filepath.Join(d.dir, name)
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	data, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	s := strings.Replace(string(data), "mappings:\n", "mappings:\n  - "+file+"\n", 1)
	require.NoError(t, os.WriteFile(d.cfg, []byte(s), 0o600))
	return file
}

// emailsMapping merges the users of both account shards through one glob;
// key is the expression of the target key.
func emailsMapping(key string) string {
	return `target: global.member_emails
key: [id]
sources:
  - source: "jp-accounts*"
    table: accounts.users
    columns:
      id: ` + key + `
      email: email
`
}

// One glob entry over both account shards: with a key that ignores the
// source, both the offline check and run refuse the mapping where it is;
// with a source-qualified key, users of both shards with the same id land
// side by side and each shard's changes touch only its own row.
func TestGlobShardsLandSideBySide(t *testing.T) {
	d := startDemoCluster(t)
	d.target.Exec(t, "CREATE TABLE global.member_emails (id VARCHAR(64) PRIMARY KEY, email VARCHAR(255))")
	file := d.addMapping(t, "member_emails.yaml", emailsMapping("id"))

	want := file + `:4:13: sources[0].source: "jp-accounts*" can match several sources, whose rows with the same key would overwrite each other: put meta.source in the target key`
	out, err := d.tributary(t, "mappings", "check")
	require.Error(t, err, "%s", out)
	require.Contains(t, out, want)
	out, err = d.tributary(t, "run")
	require.Error(t, err, "run must refuse the mapping: %s", out)
	require.Contains(t, out, want)

	require.NoError(t, os.WriteFile(file, []byte(emailsMapping(`"meta.source + ':' + string(id)"`)), 0o600))
	out, err = d.tributary(t, "mappings", "check")
	require.NoError(t, err, "%s", out)
	cmd, stderr := d.run(t)
	d.caughtUp(t)

	const user = "INSERT INTO accounts.users (id, email, name, created_at) VALUES (7, '%s', 'Seven', NOW(6))"
	d.accounts.Exec(t, strings.Replace(user, "%s", "one@example.com", 1))
	d.accounts2.Exec(t, strings.Replace(user, "%s", "two@example.com", 1))
	d.caughtUp(t)
	emails := func() []string {
		return dump(t, d.target.DB(t, ""), "SELECT id, email FROM global.member_emails ORDER BY id")
	}
	require.Equal(t, []string{`"jp-accounts-2:7"|"two@example.com"|`, `"jp-accounts:7"|"one@example.com"|`}, emails())

	d.accounts2.Exec(t, "UPDATE accounts.users SET email = 'two-b@example.com' WHERE id = 7")
	d.accounts.Exec(t, "DELETE FROM accounts.users WHERE id = 7")
	d.caughtUp(t)
	require.Equal(t, []string{`"jp-accounts-2:7"|"two-b@example.com"|`}, emails(), "each shard changes only its own row")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}
