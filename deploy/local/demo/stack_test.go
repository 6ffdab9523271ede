package demo

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tributary-cdc/tributary/internal/testenv"
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
	require.Equal(t, DemoStream, env[KeyKinesisStream])
	kinesisPID, _ := strconv.Atoi(env[KeyKinesisPID])
	requireDemoStream(t, dir, kinesisPID, env[KeyKinesisEndpoint])

	// A second up keeps the running servers.
	again, err := Up(ctx, dir, logger)
	require.NoError(t, err)
	require.Equal(t, env, again)

	require.NoError(t, Down(ctx, dir, logger))
	for _, s := range Servers {
		pid, _ := strconv.Atoi(env.Get(s, SuffixPID))
		require.False(t, alive(pid), s.Name)
	}
	require.False(t, alive(kinesisPID), "kinesis emulator")
	stopped, err := ReadEnv(filepath.Join(dir, EnvFile))
	require.NoError(t, err)
	require.Empty(t, stopped.Get(Servers[0], SuffixPID))
	require.Empty(t, stopped[KeyKinesisPID])
	require.Equal(t, env[KeyKinesisEndpoint], stopped[KeyKinesisEndpoint])

	// Up after down restarts on the same ports with the same password and data.
	restarted, err := Up(ctx, dir, logger)
	require.NoError(t, err)
	for _, s := range Servers {
		require.Equal(t, env.Get(s, SuffixPort), restarted.Get(s, SuffixPort), s.Name)
		require.Equal(t, env.Get(s, SuffixDSN), restarted.Get(s, SuffixDSN), s.Name)
	}
	require.Equal(t, env[KeyKinesisEndpoint], restarted[KeyKinesisEndpoint])
	kinesisPID, _ = strconv.Atoi(restarted[KeyKinesisPID])
	requireDemoStream(t, dir, kinesisPID, restarted[KeyKinesisEndpoint])
	require.NoError(t, Down(ctx, dir, logger))
	require.False(t, alive(kinesisPID), "kinesis emulator")
}

// TestDownLeavesOtherProcesses points every pid of the env file at a
// process that is not the stack's: down must leave it running.
func TestDownLeavesOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	sleep := exec.Command("sleep", "60")
	require.NoError(t, sleep.Start())
	t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
	pid := sleep.Process.Pid
	env := Env{}
	for _, s := range Servers {
		env.set(s, 3306, pid, "abcdef0123456789")
	}
	env.setKinesis("http://127.0.0.1:4568", pid)
	require.NoError(t, env.Write(filepath.Join(dir, EnvFile)))
	require.NoError(t, Down(t.Context(), dir, slog.New(slog.DiscardHandler)))
	require.True(t, alive(pid))
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

// requireDemoStream checks that the stack's emulator runs as pid at
// endpoint and serves the demo stream with its shards.
func requireDemoStream(t *testing.T, dir string, pid int, endpoint string) {
	t.Helper()
	k, ok := testenv.FindKinesis(pid, filepath.Join(dir, kinesisDir))
	require.True(t, ok, "kinesis emulator pid %d", pid)
	// Only closes its connections, which would hold up the emulator's
	// graceful shutdown in down.
	defer k.Stop() //nolint:errcheck // a found emulator's Stop returns nil
	require.Equal(t, endpoint, k.Endpoint)
	out, err := k.Client().DescribeStreamSummary(t.Context(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(DemoStream)})
	require.NoError(t, err)
	require.Equal(t, types.StreamStatusActive, out.StreamDescriptionSummary.StreamStatus)
	require.EqualValues(t, demoStreamShards, aws.ToInt32(out.StreamDescriptionSummary.OpenShardCount))
}

func requireTable(t *testing.T, dsn, table string) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n), table)
}
