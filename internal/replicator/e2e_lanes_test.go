package replicator_test

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// laneMappings: global.orders from the orders source, completed by a
// lookup of the user's name on the users source; global.items from the
// stock source, with no lookup.
const laneMappings = `target: global.orders
key: [id]
sources:
  - source: orders
    table: shop.orders
    columns: {id: id, user_id: user_id, total: total}
lookups:
  - source: users
    table: acct.users
    match: {id: user_id}
    columns: {user_name: name}
---
target: global.items
key: [id]
sources:
  - source: stock
    table: inv.items
    columns: {id: id, name: name, qty: qty}
`

// While the users source is frozen for 40 s (SIGSTOP), the stock source,
// whose mapping looks nothing up, keeps going: its rows reach the target
// and its checkpoint advances past them. The orders written meanwhile
// wait for their lookups; once the users source answers again, every
// table converges to the sources.
func TestStuckLookupSourceDelaysOnlyItsMappings(t *testing.T) {
	users := testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 1})
	orders := testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 2})
	stock := testenv.StartT(t, testenv.Options{ServerID: 3, GTIDDomain: 3})
	target := testenv.StartT(t, testenv.Options{ServerID: 4, GTIDDomain: 4})
	users.Exec(t, "CREATE DATABASE acct", "CREATE TABLE acct.users (id INT PRIMARY KEY, name VARCHAR(40))")
	orders.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, user_id INT, total INT)")
	stock.Exec(t, "CREATE DATABASE inv", "CREATE TABLE inv.items (id INT PRIMARY KEY, name VARCHAR(40), qty INT)")
	target.Exec(t, "CREATE DATABASE global",
		"CREATE TABLE global.orders (id INT PRIMARY KEY, user_id INT, total INT, user_name VARCHAR(40))",
		"CREATE TABLE global.items (id INT PRIMARY KEY, name VARCHAR(40), qty INT)")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lanes.yaml"), []byte(laneMappings), 0o600))
	var b strings.Builder
	fmt.Fprintf(&b, "log:\n  format: text\npebble:\n  dir: %s\ncheckpoint:\n  interval: 200ms\nhttp:\n  listen: %s\n",
		filepath.Join(dir, "pebble"), testenv.FreeAddr(t))
	fmt.Fprintf(&b, "lookups:\n  timeout: 2s\nmappings:\n  - %s\nsources:\n", filepath.Join(dir, "lanes.yaml"))
	for i, s := range []struct {
		name string
		srv  *testenv.Server
	}{{"users", users}, {"orders", orders}, {"stock", stock}} {
		fmt.Fprintf(&b, "  - name: %s\n    host: 127.0.0.1\n    port: %d\n    user: root\n    server_id: %d\n    start: current\n",
			s.name, s.srv.Port, 9100+i)
	}
	fmt.Fprintf(&b, "sinks:\n  - name: target\n    type: mysql\n    mysql:\n      dsn: %q\n", target.DSN("root", "", "global"))
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)

	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	stderr := &testenv.LogBuffer{}
	cmd := exec.Command(bin, "run", "--config", path)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = users.Resume()
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			lines := strings.Split(stderr.String(), "\n")
			t.Logf("the last lines of tributary's log:\n%s", strings.Join(lines[max(0, len(lines)-100):], "\n"))
		}
	})
	waitStreaming(t, cfg)

	tg, udb, odb, sdb := target.DB(t, ""), users.DB(t, ""), orders.DB(t, ""), stock.DB(t, "")
	exec := func(db *sql.DB, stmts ...string) {
		t.Helper()
		for _, q := range stmts {
			_, err := db.Exec(q)
			require.NoError(t, err, "executing %q", q)
		}
	}
	position := func(db *sql.DB) string {
		t.Helper()
		var pos string
		require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
		return pos
	}
	count := func(q string) int {
		var n int
		require.NoError(t, tg.QueryRow(q).Scan(&n))
		return n
	}
	exec(udb, "INSERT INTO acct.users VALUES (1, 'ann'), (2, 'bob')")
	for i := 1; i <= 20; i++ {
		exec(odb, fmt.Sprintf("INSERT INTO shop.orders VALUES (%d, %d, %d)", i, 1+i%2, i*10))
		exec(sdb, fmt.Sprintf("INSERT INTO inv.items VALUES (%d, 'item %d', %d)", i*1000, i, i))
	}
	waitFor(t, 30*time.Second, "the first rows to land", func() bool {
		return count("SELECT COUNT(*) FROM global.orders WHERE user_name IS NOT NULL") == 20 &&
			count("SELECT COUNT(*) FROM global.items") == 20
	})

	require.NoError(t, users.Pause())
	paused := time.Now()
	// Orders written while their lookups cannot be read, and stock
	// changes, all through the outage. Items' keys are apart, so that
	// they go to every worker (integer keys route by blocks of 256).
	for i := 21; time.Since(paused) < 40*time.Second; i++ {
		exec(odb, fmt.Sprintf("INSERT INTO shop.orders VALUES (%d, %d, %d)", i, 1+i%2, i*10))
		exec(sdb, fmt.Sprintf("INSERT INTO inv.items VALUES (%d, 'item %d', %d)", i*1000, i, i),
			fmt.Sprintf("UPDATE inv.items SET qty = qty + 1 WHERE id = %d", (1+i%20)*1000))
		if i == 30 {
			// Ten seconds into the outage: stock's rows and checkpoint
			// have caught up with its writes.
			want := position(sdb)
			waitFor(t, 10*time.Second, "stock's checkpoint to advance while users is down", func() bool {
				return checkpointOf(cfg, "stock") == want
			})
			require.Equal(t, 30, count("SELECT COUNT(*) FROM global.items"), "stock's rows land while users is down")
			require.Equal(t, 20, count("SELECT COUNT(*) FROM global.orders"), "orders wait for their lookups")
		}
		time.Sleep(300 * time.Millisecond)
	}
	want := position(sdb)
	waitFor(t, 10*time.Second, "stock's checkpoint at the end of the outage", func() bool {
		return checkpointOf(cfg, "stock") == want
	})
	requireSame(t, sdb, "SELECT id, name, qty FROM inv.items ORDER BY id", tg, "SELECT id, name, qty FROM global.items ORDER BY id")
	require.Equal(t, 20, count("SELECT COUNT(*) FROM global.orders"), "orders still wait for their lookups")
	blocked := checkpointOf(cfg, "orders")
	require.NotEqual(t, position(odb), blocked, "orders' checkpoint waits for its rows")

	require.NoError(t, users.Resume())
	resumed = true
	exec(udb, "UPDATE acct.users SET name = 'bob again' WHERE id = 2")
	wantOrders := expectedOrders(t, odb, udb)
	waitFor(t, 60*time.Second, "orders to converge", func() bool {
		return slices.Equal(wantOrders, dump(t, tg, "SELECT id, user_id, total, user_name FROM global.orders ORDER BY id"))
	})
	for name, db := range map[string]*sql.DB{"users": udb, "orders": odb, "stock": sdb} {
		want := position(db)
		waitFor(t, 30*time.Second, name+"'s checkpoint after the outage", func() bool { return checkpointOf(cfg, name) == want })
	}
	requireSame(t, sdb, "SELECT id, name, qty FROM inv.items ORDER BY id", tg, "SELECT id, name, qty FROM global.items ORDER BY id")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}

// checkpointOf returns the GTID set of source's saved checkpoint, "" while
// the service does not answer.
func checkpointOf(cfg *config.Config, source string) string {
	for _, st := range fetchStatus(cfg) {
		if st.Source == source {
			return st.Checkpoint.GTIDSet
		}
	}
	return ""
}

// expectedOrders joins the orders with their users' names as global.orders
// should hold them, rendered by dump.
func expectedOrders(t *testing.T, orders, users *sql.DB) []string {
	t.Helper()
	names := map[string]string{}
	for _, row := range dump(t, users, "SELECT id, name FROM acct.users") {
		f := strings.SplitN(row, "|", 2)
		names[f[0]] = f[1]
	}
	var out []string
	for _, row := range dump(t, orders, "SELECT id, user_id, total FROM shop.orders ORDER BY id") {
		f := strings.Split(row, "|")
		name, ok := names[f[1]]
		if !ok {
			name = "NULL|"
		}
		out = append(out, row+name)
	}
	return out
}

// requireSame requires queries a on db and b on other to return the same
// rows.
func requireSame(t *testing.T, db *sql.DB, a string, other *sql.DB, b string) {
	t.Helper()
	require.Equal(t, dump(t, db, a), dump(t, other, b))
}
