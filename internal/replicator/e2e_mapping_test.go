package replicator_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/expect"
	"github.com/tributary-cdc/tributary/deploy/local/loadgen"
	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// demoCluster is the demo's sources and target with schemas applied.
type demoCluster struct {
	accounts, accounts2, recipes, target *testenv.Server
	dir, cfg                             string
	// stderr is the running service's, for failure messages.
	stderr *testenv.LogBuffer
}

func startDemoCluster(t *testing.T) *demoCluster {
	t.Helper()
	d := &demoCluster{
		accounts:  testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 1}),
		accounts2: testenv.StartT(t, testenv.Options{ServerID: 3, GTIDDomain: 3}),
		recipes:   testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 2}),
		target:    testenv.StartT(t, testenv.Options{ServerID: 4, GTIDDomain: 4}),
		dir:       t.TempDir(),
	}
	ctx := t.Context()
	require.NoError(t, schema.Apply(ctx, d.accounts.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.accounts2.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.recipes.DB(t, ""), schema.Recipes))
	require.NoError(t, schema.Apply(ctx, d.target.DB(t, ""), schema.Target))

	_, file, _, _ := runtime.Caller(0)
	mappings := filepath.Join(filepath.Dir(file), "..", "..", "mappings")
	var b strings.Builder
	fmt.Fprintf(&b, `log:
  format: text
pebble:
  dir: %s
checkpoint:
  interval: 200ms
http:
  listen: %s
mappings:
  - %s
migrations: %s
sources:
  - name: jp-accounts
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 9001
    start: current
  - name: jp-accounts-2
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 9003
    start: current
  - name: jp-recipes
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 9002
    start: current
sinks:
  - name: target
    type: mysql
    mysql:
      dsn: "%s"
`, filepath.Join(d.dir, "pebble"), testenv.FreeAddr(t), mappings, filepath.Join(filepath.Dir(mappings), "migrations"), d.accounts.Port, d.accounts2.Port, d.recipes.Port, d.target.DSN("root", "", "global"))
	d.cfg = filepath.Join(d.dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(d.cfg, []byte(b.String()), 0o600))
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	out, err := exec.Command(bin, "migrate", "--config", d.cfg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return d
}

// load runs the demo workload on the sources for a while.
func (d *demoCluster) load(ctx context.Context, seed int64, n int) error {
	_, err := loadgen.Run(ctx, loadgen.Config{
		AccountsDSNs: []string{d.accounts.DSN("root", "", ""), d.accounts2.DSN("root", "", "")},
		RecipesDSN:   d.recipes.DSN("root", "", ""),
		Transactions: n, Seed: seed, Workers: 2, MaxLOB: 8 << 10,
	})
	return err
}

// requireConverged compares every target table with the mappings'
// meaning computed from the sources by independent queries; the tables
// named in nonEmpty must hold rows.
func (d *demoCluster) requireConverged(t *testing.T, nonEmpty ...string) {
	t.Helper()
	diffs, err := expect.Compare(t.Context(), expect.Servers{
		Accounts: d.accounts.DB(t, ""), Accounts2: d.accounts2.DB(t, ""),
		Recipes: d.recipes.DB(t, ""), Target: d.target.DB(t, ""),
	})
	require.NoError(t, err)
	for _, diff := range diffs {
		require.True(t, diff.Equal(), "target %s differs from the mapped sources: want %d rows, got %d; missing %q; unexpected %q",
			diff.Table, diff.Want, diff.Got, diff.Missing, diff.Unexpected)
		if slices.Contains(nonEmpty, diff.Table) {
			require.NotZero(t, diff.Want, "%s: the workload wrote nothing", diff.Table)
		}
	}
}

// dump renders a query's rows as text lines, NULL distinct from "".
func dump(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		var b strings.Builder
		for _, v := range vals {
			if v == nil {
				b.WriteString("NULL|")
			} else {
				fmt.Fprintf(&b, "%q|", v)
			}
		}
		out = append(out, b.String())
	}
	require.NoError(t, rows.Err())
	return out
}

// TestMappedTargetConvergesThroughKills runs the demo mappings into a
// MariaDB target under a randomized workload, kills the service with
// SIGKILL fifty times (some mid-batch, some while a replay resolves
// collisions on the target's case-insensitive unique e-mail key), and
// checks that each source's checkpoint advanced in most runs, whatever the
// others do, and that the drained target equals the mapping applied to the
// sources.
func TestMappedTargetConvergesThroughKills(t *testing.T) {
	const kills = 50
	d := startDemoCluster(t)
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", d.cfg)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		return cmd
	}
	cmd := start()
	// The sources start at their current positions: the workload begins
	// once the service has taken them (it answers only after), or its
	// first rows would come before them and never be streamed.
	waitFor(t, time.Minute, "the service to answer", func() bool { return fetchStatus(cfg) != nil })
	ctx, stop := context.WithCancel(t.Context())
	loadErr := make(chan error, 1)
	go func() { loadErr <- d.load(ctx, 7, 0) }()
	rng := rand.New(rand.NewPCG(3, 4))
	last := map[string]change.Position{}
	advanced := map[string]int{}
	for range kills {
		// Killed 1 to 2.5 s after it started streaming.
		waitFor(t, time.Minute, "the service to answer", func() bool { return fetchStatus(cfg) != nil })
		time.Sleep(time.Duration(1000+rng.IntN(1500)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
		require.NoError(t, err)
		pos, err := store.Positions()
		require.NoError(t, err)
		require.NoError(t, store.Close())
		for name, p := range pos {
			if p != last[name] {
				advanced[name]++
			}
			last[name] = p
		}
		cmd = start()
	}
	stop()
	require.NoError(t, <-loadErr)
	t.Logf("runs in which each source's checkpoint advanced, of %d: %v", kills, advanced)
	for _, name := range cfg.SourceNames() {
		require.Greater(t, advanced[name], kills/2, "source %s's checkpoint advanced in too few runs", name)
	}
	out, err := exec.Command(bin, "status", "--config", d.cfg, "--wait", "--timeout", "3m").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	d.requireConverged(t, allTables...)
}

// allTables are the demo's target tables.
var allTables = []string{"global.members", "global.recipes", "global.cooksnaps"}
