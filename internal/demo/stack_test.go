package demo

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestUpDown(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	logger := slog.New(slog.DiscardHandler)
	// t.Context is done by the time cleanups run.
	t.Cleanup(func() { _ = Down(context.Background(), dir, logger) })

	env, err := Up(ctx, dir, logger)
	require.NoError(t, err)
	onDisk, err := ReadEnv(filepath.Join(dir, EnvFile))
	require.NoError(t, err)
	require.Equal(t, env, onDisk)

	// The tributary user connects everywhere with just what it needs.
	for _, s := range Servers {
		db, err := sql.Open("mysql", env.Get(s, SuffixDSN))
		require.NoError(t, err)
		var id, domain int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT @@server_id, @@gtid_domain_id").Scan(&id, &domain), s.Name)
		require.Equal(t, s.ServerID, id)
		require.Equal(t, s.GTIDDomain, domain)
		if s.Role == RoleTarget {
			_, err = db.ExecContext(ctx, "CREATE TABLE global.probe (id INT PRIMARY KEY)")
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, "CREATE DATABASE other")
			require.Error(t, err, "tributary must not create schemas on the target")
		} else {
			var binlog string
			require.NoError(t, db.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&binlog, new(any), new(any), new(any)))
			_, err = db.ExecContext(ctx, "CREATE DATABASE other")
			require.Error(t, err, "tributary must not write on a source")
		}
		require.NoError(t, db.Close())
	}
	for _, table := range []string{"accounts.users", "accounts.user_profiles"} {
		for _, s := range []Server{Servers[0], Servers[2]} {
			requireTable(t, env.Get(s, SuffixRootDSN), table)
		}
	}
	for _, table := range []string{"recipes.recipes", "recipes.steps", "recipes.cooksnaps"} {
		requireTable(t, env.Get(Servers[1], SuffixRootDSN), table)
	}

	// A second up keeps the running servers.
	again, err := Up(ctx, dir, logger)
	require.NoError(t, err)
	require.Equal(t, env, again)

	require.NoError(t, Down(ctx, dir, logger))
	for _, s := range Servers {
		pid, _ := strconv.Atoi(env.Get(s, SuffixPID))
		require.False(t, alive(pid), s.Name)
	}
	stopped, err := ReadEnv(filepath.Join(dir, EnvFile))
	require.NoError(t, err)
	require.Empty(t, stopped.Get(Servers[0], SuffixPID))

	// Up after down restarts on the same ports with the same password and data.
	restarted, err := Up(ctx, dir, logger)
	require.NoError(t, err)
	for _, s := range Servers {
		require.Equal(t, env.Get(s, SuffixPort), restarted.Get(s, SuffixPort), s.Name)
		require.Equal(t, env.Get(s, SuffixDSN), restarted.Get(s, SuffixDSN), s.Name)
	}
	require.NoError(t, Down(ctx, dir, logger))
}

func TestDownWithoutStack(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Down(t.Context(), dir, slog.New(slog.DiscardHandler)))
	_, err := os.Stat(filepath.Join(dir, EnvFile))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestOwnedPortRejectsOtherProcesses(t *testing.T) {
	_, ok := ownedPort(os.Getpid(), t.TempDir())
	require.False(t, ok)
	_, ok = ownedPort(0, t.TempDir())
	require.False(t, ok)
}

func requireTable(t *testing.T, dsn, table string) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n), table)
}
