package replicator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// quietLogger keeps the service's warnings and errors only.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// runWhile runs the service until during has returned and fails the test
// unless it then stops cleanly.
func runWhile(t *testing.T, cfg *config.Config, opts replicator.Options, during func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- replicator.Run(ctx, cfg, opts, quietLogger()) }()
	waitFor(t, 30*time.Second, "the service to listen or fail", func() bool {
		select {
		case err := <-errc:
			t.Fatalf("the service stopped before streaming: %v", err)
		default:
		}
		return healthy(cfg)
	})
	during()
	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10 s")
	}
}

// refused runs the service and returns the error it must fail with before
// streaming.
func refused(t *testing.T, cfg *config.Config, opts replicator.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	err := replicator.Run(ctx, cfg, opts, quietLogger())
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "the service ran instead of refusing")
	return err
}

// copyStore copies the (flat) Pebble folder from into to.
func copyStore(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(to, 0o750))
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), data, 0o600))
	}
}

// TestStartOnlyWhenTold: a source without a checkpoint is refused unless
// told where to start, and a store that lost its marker, was emptied or
// has a damaged file is refused rather than taken for a new one.
func TestStartOnlyWhenTold(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, schemaSQL, "INSERT INTO app.t VALUES (1, 'before')")
	servers := map[string]*testenv.Server{"alpha": srv}
	dir := t.TempDir()
	cfgPath, out := writeStartConfig(t, dir, servers, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	err = refused(t, cfg, replicator.Options{})
	for _, want := range []string{"no checkpoint for source(s) alpha", cfg.Pebble.Dir, "start:", "tributary run --init", "checkpoint set"} {
		require.ErrorContains(t, err, want)
	}
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	_, err = store.Position("alpha")
	require.ErrorIs(t, err, checkpoint.ErrNotFound, "a refused start saved a position")
	require.NoError(t, store.Close())

	runWhile(t, cfg, replicator.Options{Init: true}, func() {
		srv.Exec(t, "INSERT INTO app.t VALUES (2, 'after init')")
		waitFor(t, 30*time.Second, "row 2", func() bool { return ids(t, readEnvelopes(t, out), "t")[2] == 1 })
	})
	// Once started, the checkpoint is enough.
	runWhile(t, cfg, replicator.Options{}, func() {
		srv.Exec(t, "INSERT INTO app.t VALUES (3, 'resumed')")
		waitFor(t, 30*time.Second, "row 3", func() bool { return ids(t, readEnvelopes(t, out), "t")[3] == 1 })
	})
	require.Equal(t, map[int64]int{2: 1, 3: 1}, ids(t, readEnvelopes(t, out), "t"), "--init starts at the current position")

	t.Run("marker deleted", func(t *testing.T) {
		damaged := *cfg
		damaged.Pebble.Dir = filepath.Join(t.TempDir(), "pebble")
		copyStore(t, cfg.Pebble.Dir, damaged.Pebble.Dir)
		markers, err := filepath.Glob(filepath.Join(damaged.Pebble.Dir, "marker.manifest.*"))
		require.NoError(t, err)
		require.NotEmpty(t, markers)
		for _, m := range markers {
			require.NoError(t, os.Remove(m))
		}
		for _, opts := range []replicator.Options{{}, {Init: true}} {
			err := refused(t, &damaged, opts)
			require.ErrorIs(t, err, checkpoint.ErrNotAStore)
			require.ErrorContains(t, err, "no marker.manifest file")
		}
	})
	t.Run("emptied", func(t *testing.T) {
		emptied := *cfg
		emptied.Pebble.Dir = t.TempDir()
		require.ErrorContains(t, refused(t, &emptied, replicator.Options{}), "no checkpoint for source(s) alpha")
	})
	t.Run("corrupt table", func(t *testing.T) {
		dir := t.TempDir()
		damagedPath, _ := writeStartConfig(t, dir, servers, "")
		damaged, err := config.Load(damagedPath)
		require.NoError(t, err)
		copyStore(t, cfg.Pebble.Dir, damaged.Pebble.Dir)
		tables, err := filepath.Glob(filepath.Join(damaged.Pebble.Dir, "*.sst"))
		require.NoError(t, err)
		require.NotEmpty(t, tables, "reopening the store flushes its log into a table")
		for _, sst := range tables {
			data, err := os.ReadFile(sst)
			require.NoError(t, err)
			data[len(data)/3] ^= 0x40
			require.NoError(t, os.WriteFile(sst, data, 0o600))
		}

		err = refused(t, damaged, replicator.Options{})
		require.ErrorIs(t, err, checkpoint.ErrCorrupt)
		require.ErrorContains(t, err, tables[0])

		bin, err := testenv.BuildTributary()
		require.NoError(t, err)
		for _, args := range [][]string{{"checkpoint", "show"}, {"run"}} {
			cmd := exec.Command(bin, append(args, "--config", damagedPath)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%v: %s", args, stderr.String())
			require.Equal(t, 2, exit.ExitCode(), "%v: %s", args, stderr.String())
			require.Contains(t, stderr.String(), "store is corrupt: "+tables[0], "%v", args)
			require.NotContains(t, stderr.String(), "panic", "%v", args)
			require.NotContains(t, stderr.String(), "goroutine", "%v", args)
		}
	})
}

// TestStartWaitsForAnUnreachableSource: a source that cannot be reached
// when the service starts (restarting, failing over) delays the start
// instead of ending it; once it answers, both sources stream. A stop
// while waiting is a clean one.
func TestStartWaitsForAnUnreachableSource(t *testing.T) {
	up := testenv.StartT(t, testenv.Options{ServerID: 1})
	up.Exec(t, schemaSQL)
	_, portText, err := net.SplitHostPort(testenv.FreeAddr(t))
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	later := &testenv.Server{Port: port} // nothing listens there yet
	dir := t.TempDir()
	cfgPath, out := writeConfig(t, dir, map[string]*testenv.Server{"up": up, "later": later})
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- replicator.Run(ctx, cfg, replicator.Options{}, quietLogger()) }()
	select {
	case err := <-errc:
		t.Fatalf("the service ended while a source was unreachable: %v", err)
	case <-time.After(3 * time.Second):
	}
	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err, "a stop while waiting is a clean one")
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not stop while waiting")
	}

	go func() { errc <- replicator.Run(t.Context(), cfg, replicator.Options{}, quietLogger()) }()
	time.Sleep(2 * time.Second)
	later = testenv.StartT(t, testenv.Options{Port: port, ServerID: 2})
	later.Exec(t, schemaSQL)
	waitFor(t, 60*time.Second, "the service to start once the source answers", func() bool {
		select {
		case err := <-errc:
			t.Fatalf("the service ended: %v", err)
		default:
		}
		return healthy(cfg)
	})
	up.Exec(t, "INSERT INTO app.t VALUES (1, 'up')")
	later.Exec(t, "INSERT INTO app.t VALUES (2, 'later')")
	waitFor(t, 30*time.Second, "both rows", func() bool {
		seen := ids(t, readEnvelopes(t, out), "t")
		return seen[1] == 1 && seen[2] == 1
	})
}

// TestStartSettings starts a source without a checkpoint at each start
// setting.
func TestStartSettings(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, schemaSQL, "INSERT INTO app.t VALUES (1, 'one')")
	var gtid string
	require.NoError(t, srv.DB(t, "").QueryRow("SELECT @@gtid_binlog_pos").Scan(&gtid))
	srv.Exec(t, "INSERT INTO app.t VALUES (2, 'two')")
	servers := map[string]*testenv.Server{"alpha": srv}

	tests := []struct {
		start    string
		one, two bool // whether rows 1 and 2, written before the start, are streamed
	}{
		{"earliest", true, true},
		{"gtid:" + gtid, false, true},
		{"current", false, false},
	}
	for i, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			cfgPath, out := writeStartConfig(t, t.TempDir(), servers, tt.start)
			cfg, err := config.Load(cfgPath)
			require.NoError(t, err)
			id := int64(10 + i) // a row written after the start
			runWhile(t, cfg, replicator.Options{}, func() {
				_, err := srv.DB(t, "").Exec("INSERT INTO app.t VALUES (?, 'after')", id)
				require.NoError(t, err)
				waitFor(t, 30*time.Second, "the row written after the start", func() bool {
					return ids(t, readEnvelopes(t, out), "t")[id] == 1
				})
			})
			got := ids(t, readEnvelopes(t, out), "t")
			require.Equal(t, tt.one, got[1] == 1, "row 1: %v", got)
			require.Equal(t, tt.two, got[2] == 1, "row 2: %v", got)
			for id, n := range got {
				require.Equal(t, 1, n, "row %d", id)
			}
		})
	}
}

// TestStartRefusesAnotherServer: a store bound to one server refuses
// another one behind the same source name, until the position is set
// deliberately; an older store without recorded servers is bound to the
// server its checkpoint names.
func TestStartRefusesAnotherServer(t *testing.T) {
	a := testenv.StartT(t, testenv.Options{ServerID: 1})
	b := testenv.StartT(t, testenv.Options{ServerID: 2})
	a.Exec(t, schemaSQL)
	b.Exec(t, schemaSQL)
	dir := t.TempDir()
	cfgPath, _ := writeStartConfig(t, dir, map[string]*testenv.Server{"alpha": a}, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	runWhile(t, cfg, replicator.Options{Init: true}, func() {})

	cfgPath, out := writeStartConfig(t, dir, map[string]*testenv.Server{"alpha": b}, "current")
	moved, err := config.Load(cfgPath)
	require.NoError(t, err)
	for _, opts := range []replicator.Options{{}, {Init: true}} {
		err := refused(t, moved, opts)
		for _, want := range []string{"source alpha", "belongs to mariadb server_id=1", "is mariadb server_id=2",
			"checkpoint set --source alpha", "--init"} {
			require.ErrorContains(t, err, want)
		}
	}

	// Setting the position binds the source to the new server.
	var gtid string
	require.NoError(t, b.DB(t, "").QueryRow("SELECT @@gtid_binlog_pos").Scan(&gtid))
	require.NoError(t, admin.SetCheckpoint(t.Context(), moved, admin.CheckpointSpec{Source: "alpha", GTIDSet: gtid}, quietLogger(), io.Discard))
	runWhile(t, moved, replicator.Options{}, func() {
		b.Exec(t, "INSERT INTO app.t VALUES (7, 'b')")
		waitFor(t, 30*time.Second, "row 7", func() bool { return ids(t, readEnvelopes(t, out), "t")[7] == 1 })
	})

	t.Run("failover", func(t *testing.T) {
		// A promoted replica has executed the transactions the checkpoint
		// names, from their origin: its binlog state holds a's GTIDs.
		// The service resumes on it and records it.
		c := testenv.StartT(t, testenv.Options{ServerID: 3})
		c.Exec(t, schemaSQL)
		store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
		require.NoError(t, err)
		cp, err := store.Position("alpha")
		require.NoError(t, err)
		require.NoError(t, store.Close())
		ctx := t.Context()
		conn, err := c.DB(t, "").Conn(ctx)
		require.NoError(t, err)
		for _, g := range strings.Split(cp.GTIDSet, ",") {
			f := strings.Split(g, "-")
			_, err = conn.ExecContext(ctx, fmt.Sprintf("SET SESSION gtid_domain_id=%s, server_id=%s, gtid_seq_no=%s", f[0], f[1], f[2]))
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS app.replayed (id INT PRIMARY KEY)")
			require.NoError(t, err)
		}
		require.NoError(t, conn.Close())

		cfgPath, out := writeStartConfig(t, dir, map[string]*testenv.Server{"alpha": c}, "")
		promoted, err := config.Load(cfgPath)
		require.NoError(t, err)
		runWhile(t, promoted, replicator.Options{}, func() {
			c.Exec(t, "INSERT INTO app.t VALUES (8, 'c')")
			waitFor(t, 30*time.Second, "row 8", func() bool { return ids(t, readEnvelopes(t, out), "t")[8] == 1 })
		})
		store, err = checkpoint.Open(cfg.Pebble.Dir, nil)
		require.NoError(t, err)
		defer store.Close()
		server, err := store.Server("alpha")
		require.NoError(t, err)
		require.Equal(t, checkpoint.Server{Flavor: change.MariaDB, ID: 3}, server)
	})

	t.Run("older store", func(t *testing.T) {
		var gtid string
		require.NoError(t, a.DB(t, "").QueryRow("SELECT @@gtid_binlog_pos").Scan(&gtid))
		for _, tt := range []struct {
			name     string
			serverID uint32
			ok       bool
		}{{"its server", 1, true}, {"another server", 2, false}} {
			t.Run(tt.name, func(t *testing.T) {
				older := *cfg
				older.Pebble.Dir = t.TempDir()
				store, err := checkpoint.Open(older.Pebble.Dir, nil)
				require.NoError(t, err)
				set := gtid
				if !tt.ok {
					// Another server's history: transactions from
					// server 2, which a never executed.
					set = "0-2-1"
				}
				require.NoError(t, store.SavePositions(map[string]change.Position{
					"alpha": {Flavor: change.MariaDB, GTIDSet: set, ServerID: tt.serverID},
				}))
				require.NoError(t, store.Close())
				if !tt.ok {
					require.ErrorContains(t, refused(t, &older, replicator.Options{}), "belongs to mariadb server_id=2")
					return
				}
				runWhile(t, &older, replicator.Options{}, func() {})
				store, err = checkpoint.Open(older.Pebble.Dir, nil)
				require.NoError(t, err)
				defer store.Close()
				server, err := store.Server("alpha")
				require.NoError(t, err)
				require.Equal(t, checkpoint.Server{Flavor: change.MariaDB, ID: 1}, server)
				_, err = store.ID()
				require.NoError(t, err)
			})
		}
	})
}
