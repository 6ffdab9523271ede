package replicator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestTLSEndToEnd runs the service between a source and a target that
// both refuse plaintext, with users that must use TLS and passwords in
// files: the source streams, backfills and is checked through verified
// TLS, and the sink writes through it.
func TestTLSEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	files, err := ca.Issue("server", "127.0.0.1", "localhost")
	require.NoError(t, err)
	src := testenv.StartT(t, testenv.Options{Dir: filepath.Join(dir, "src"), ServerID: 1, TLS: &files, RequireSecureTransport: true})
	tgt := testenv.StartT(t, testenv.Options{Dir: filepath.Join(dir, "tgt"), ServerID: 2, TLS: &files, RequireSecureTransport: true})
	src.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO app.items VALUES (1, 'before')",
		"CREATE USER repl@'%' IDENTIFIED BY 'repl-pw' REQUIRE SSL",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT, INSERT, UPDATE, DELETE, CREATE ON *.* TO repl@'%'")
	tgt.Exec(t, "CREATE DATABASE tgt", "CREATE TABLE tgt.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"CREATE USER w@'%' IDENTIFIED BY 'w-pw' REQUIRE SSL", "GRANT ALL ON tgt.* TO w@'%'")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	write("repl.pw", "repl-pw\n")
	write("w.pw", "w-pw\n")
	write("items.yaml", "target: tgt.items\nkey: [id]\nsources:\n  - {source: src, table: app.items, columns: {id: id, name: name}}\n")
	cfgPath := write("tributary.yaml", fmt.Sprintf(`log:
  format: text
pebble:
  dir: %[1]s/pebble
checkpoint:
  interval: 100ms
http:
  listen: %[2]s
mappings:
  - items.yaml
sources:
  - name: src
    host: 127.0.0.1
    port: %[3]d
    user: repl
    password_file: %[1]s/repl.pw
    server_id: 7001
    backfill: initial
    tls:
      mode: verify-identity
      ca_file: %[4]s
sinks:
  - name: target
    type: mysql
    mysql:
      host: 127.0.0.1
      port: %[5]d
      user: w
      password_file: %[1]s/w.pw
      database: tgt
      tls:
        mode: verify-identity
        ca_file: %[4]s
`, dir, testenv.FreeAddr(t), src.Port, ca.CAFile, tgt.Port))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	tdb := tgt.DB(t, "tgt")
	rows := func() []string {
		r, err := tdb.Query("SELECT CONCAT(id, ':', name) FROM tgt.items ORDER BY id")
		require.NoError(t, err)
		defer r.Close()
		var out []string
		for r.Next() {
			var s string
			require.NoError(t, r.Scan(&s))
			out = append(out, s)
		}
		return out
	}
	runWhile(t, cfg, replicator.Options{}, func() {
		src.Exec(t, "INSERT INTO app.items VALUES (2, 'streamed')")
		waitFor(t, 30*time.Second, "the backfilled and streamed rows on the target", func() bool {
			got := rows()
			return len(got) == 2 && got[0] == "1:before" && got[1] == "2:streamed"
		})
	})
}
