package replicator_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

const schemaSQL = "CREATE DATABASE IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.t (id BIGINT PRIMARY KEY, v TEXT)"

// TestTwoSourcesStopAndResume streams two servers at once, stops cleanly,
// writes more, and resumes: every row appears exactly once.
func TestTwoSourcesStopAndResume(t *testing.T) {
	a := testenv.StartT(t, testenv.Options{ServerID: 1})
	b := testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 1})
	a.Exec(t, schemaSQL)
	b.Exec(t, schemaSQL)
	dir := t.TempDir()
	cfgPath, out := writeConfig(t, dir, map[string]*testenv.Server{"alpha": a, "beta": b})
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	run := func(inserted int, rows func()) {
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- replicator.Run(ctx, cfg, replicator.Options{}, logger) }()
		waitStreaming(t, cfg)
		rows()
		waitFor(t, 30*time.Second, "rows in the output", func() bool {
			return len(ids(t, readEnvelopes(t, out), "t")) == inserted
		})
		cancel()
		select {
		case err := <-errc:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("run did not stop within 10 s")
		}
	}
	run(3, func() {
		a.Exec(t, "INSERT INTO app.t VALUES (1,'a1'),(2,'a2')")
		b.Exec(t, "INSERT INTO app.t VALUES (101,'b1')")
	})
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	pos, err := store.Positions()
	require.NoError(t, err)
	require.NoError(t, store.Close())
	require.Contains(t, pos, "alpha")
	require.Contains(t, pos, "beta")
	require.NotEqual(t, pos["alpha"].GTIDSet, pos["beta"].GTIDSet)

	run(5, func() {
		a.Exec(t, "INSERT INTO app.t VALUES (3,'a3')", "UPDATE app.t SET v='A1' WHERE id=1", "DELETE FROM app.t WHERE id=2")
		b.Exec(t, "INSERT INTO app.t VALUES (102,'b2')")
	})
	envs := readEnvelopes(t, out)
	seen := ids(t, envs, "t")
	require.Equal(t, map[int64]int{1: 1, 2: 1, 3: 1, 101: 1, 102: 1}, seen)
	var ops []string
	for _, e := range envs {
		if e.Source == "alpha" {
			ops = append(ops, e.Op)
		}
	}
	require.Equal(t, []string{"insert", "insert", "insert", "update", "delete"}, ops)
}

// TestKillNineResume kills the service with SIGKILL at random moments of a
// busy workload and restarts it: every committed transaction appears, and
// no transaction at or before the checkpoint the kill left behind appears
// again after the restart.
func TestKillNineResume(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, schemaSQL)
	dir := t.TempDir()
	cfgPath, out := writeConfig(t, dir, map[string]*testenv.Server{"alpha": srv})
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", cfgPath)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		return cmd
	}
	wl := &workload{db: srv.DB(t, "")}
	ctx, stop := context.WithCancel(t.Context())
	wlErr := make(chan error, 1)
	cmd := start()
	waitStreaming(t, cfg)
	go func() { wlErr <- wl.run(ctx, "app.t") }()

	type restart struct {
		line int    // output lines before the restart
		cp   uint64 // GTID sequence of the checkpoint the kill left
	}
	var restarts []restart
	rng := rand.New(rand.NewPCG(1, 2))
	for range 6 {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
		require.NoError(t, err)
		pos, err := store.Position("alpha")
		require.NoError(t, err)
		require.NoError(t, store.Close())
		restarts = append(restarts, restart{line: len(readEnvelopes(t, out)), cp: gtidSeq(t, pos.GTIDSet)})
		cmd = start()
		waitStreaming(t, cfg)
	}
	stop()
	require.NoError(t, <-wlErr)
	want := wl.committed()
	waitFor(t, 60*time.Second, "every committed row", func() bool {
		return len(ids(t, readEnvelopes(t, out), "t")) >= len(want)
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())

	envs := readEnvelopes(t, out)
	seen := ids(t, envs, "t")
	for _, id := range want {
		require.Positive(t, seen[id], "row %d committed but missing", id)
	}
	for i, r := range restarts {
		end := len(envs)
		if i+1 < len(restarts) {
			end = restarts[i+1].line
		}
		for _, e := range envs[min(r.line, end):end] {
			require.Greater(t, gtidSeq(t, e.GTID), r.cp, "transaction %s at or before checkpoint %d replayed after restart %d", e.GTID, r.cp, i)
		}
	}
	t.Logf("%d rows, %d lines, %d restarts", len(want), len(envs), len(restarts))
}
