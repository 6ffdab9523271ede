package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/expect"
	"github.com/tributary-cdc/tributary/deploy/local/loadgen"
	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// demo is the demo's three source clusters and target, streamed by a
// running service through the demo mappings (a shard merge with a joined
// contributor, and a target completed by lookups on two clusters).
type demo struct {
	accounts, accounts2, recipes, target *testenv.Server
	bin, cfg                             string
	// stderr is the running service's, for failure messages.
	stderr testenv.LogBuffer
}

// startDemo starts the servers, writes the configuration and migrates the
// target.
func startDemo(t *testing.T) *demo {
	t.Helper()
	d := &demo{
		accounts:  testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 1}),
		accounts2: testenv.StartT(t, testenv.Options{ServerID: 3, GTIDDomain: 3}),
		recipes:   testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 2}),
		target:    testenv.StartT(t, testenv.Options{ServerID: 4, GTIDDomain: 4}),
	}
	ctx := t.Context()
	require.NoError(t, schema.Apply(ctx, d.accounts.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.accounts2.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.recipes.DB(t, ""), schema.Recipes))
	require.NoError(t, schema.Apply(ctx, d.target.DB(t, ""), schema.Target))
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "log:\n  format: text\npebble:\n  dir: %s\ncheckpoint:\n  interval: 200ms\nhttp:\n  listen: %s\nmappings:\n  - %s\nmigrations: %s\nsources:\n",
		filepath.Join(dir, "pebble"), testenv.FreeAddr(t), filepath.Join(root, "mappings"), filepath.Join(root, "migrations"))
	for i, s := range []struct {
		name string
		srv  *testenv.Server
	}{{"jp-accounts", d.accounts}, {"jp-accounts-2", d.accounts2}, {"jp-recipes", d.recipes}} {
		fmt.Fprintf(&b, "  - name: %s\n    host: 127.0.0.1\n    port: %d\n    user: root\n    server_id: %d\n    start: current\n",
			s.name, s.srv.Port, 9001+i)
	}
	fmt.Fprintf(&b, "sinks:\n  - name: target\n    type: mysql\n    mysql:\n      dsn: %q\n", d.target.DSN("root", "", "global"))
	d.cfg = filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(d.cfg, []byte(b.String()), 0o600))
	var err error
	d.bin, err = testenv.BuildTributary()
	require.NoError(t, err)
	out, err := exec.Command(d.bin, "migrate", "--config", d.cfg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return d
}

// load runs the demo workload on the sources.
func (d *demo) load(ctx context.Context, seed int64, n int) error {
	_, err := loadgen.Run(ctx, loadgen.Config{
		AccountsDSNs: []string{d.accounts.DSN("root", "", ""), d.accounts2.DSN("root", "", "")},
		RecipesDSN:   d.recipes.DSN("root", "", ""), Transactions: n, Seed: seed, Workers: 2, MaxLOB: 4 << 10,
		Rate: 100, Logger: slog.New(slog.DiscardHandler),
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serve starts the service; it is stopped when the test ends.
func (d *demo) serve(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(d.bin, "run", "--config", d.cfg)
	cmd.Stderr = &d.stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	return cmd
}

// caughtUp waits until the service has applied everything.
func (d *demo) caughtUp(t *testing.T) {
	t.Helper()
	out, err := exec.Command(d.bin, "status", "--config", d.cfg, "--wait", "--timeout", "3m").CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// verify runs tributary verify with args and returns its report and exit
// code.
func (d *demo) verify(t *testing.T, args ...string) (*verify.Report, int) {
	t.Helper()
	cmd := exec.Command(d.bin, append([]string{"verify", "--config", d.cfg, "--format", "json"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.NotEqual(t, 2, code, "verify failed: %s", stderr.String())
	var rep verify.Report
	require.NoError(t, json.Unmarshal(out, &rep), "%s", out)
	return &rep, code
}

// requireCompared checks that every demo target was compared with rows.
func requireCompared(t *testing.T, rep *verify.Report) {
	t.Helper()
	var targets []string
	for _, m := range rep.Mappings {
		targets = append(targets, m.Target)
		require.NotZero(t, m.Compared, "%s: nothing compared", m.Target)
		require.True(t, m.ExtraChecked, m.Target)
	}
	slices.Sort(targets)
	require.Equal(t, []string{"global.cooksnaps", "global.members", "global.recipes"}, targets)
}

// oracle compares the target with the sources by deploy/local/expect,
// which computes the demo's target with plain SQL and none of the mapping
// code, and returns the differing rows as "target kind id": a row only
// expected is missing, one only in the target extra, one in both with
// other values different. The sources and target must be still.
func (d *demo) oracle(t *testing.T) []string {
	t.Helper()
	diffs, err := expect.Compare(t.Context(), expect.Servers{
		Accounts: d.accounts.DB(t, ""), Accounts2: d.accounts2.DB(t, ""),
		Recipes: d.recipes.DB(t, ""), Target: d.target.DB(t, ""),
	})
	require.NoError(t, err)
	var out []string
	for _, diff := range diffs {
		id := func(row string) string { v, _, _ := strings.Cut(row, "\t"); return v }
		missing := map[string]bool{}
		for _, r := range diff.Missing {
			missing[id(r)] = true
		}
		for _, r := range diff.Unexpected {
			if missing[id(r)] {
				out = append(out, diff.Table+" "+verify.Different+" "+id(r))
				delete(missing, id(r))
				continue
			}
			out = append(out, diff.Table+" "+verify.Extra+" "+id(r))
		}
		for k := range missing {
			out = append(out, diff.Table+" "+verify.Missing+" "+k)
		}
	}
	slices.Sort(out)
	return out
}

// logWarnings logs the service's warnings and errors.
func (d *demo) logWarnings(t *testing.T) {
	for line := range strings.Lines(d.stderr.String()) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Logf("service: %s", strings.TrimSpace(line))
		}
	}
}

// kinds lists a report's differences as "target kind key".
func kinds(rep *verify.Report) []string {
	var out []string
	for _, m := range rep.Mappings {
		for _, d := range m.Diffs {
			out = append(out, fmt.Sprintf("%s %s %s", m.Target, d.Kind, strconv.FormatFloat(d.Key[0].Value.(float64), 'f', -1, 64)))
		}
	}
	slices.Sort(out)
	return out
}

// TestVerifyDemoUnderLoadThenCorrupted verifies the demo's targets while
// the service streams the demo workload. verify must agree with the
// independent comparison of deploy/local/expect: nothing when the target
// matches its sources, and exactly the rows where the service left it
// different (logged, as the service's fault, when that happens).
func TestVerifyDemoUnderLoadThenCorrupted(t *testing.T) {
	d := startDemo(t)
	svc := d.serve(t)
	// Every source starts at its current position: writes before the
	// service has taken it would never be streamed.
	d.caughtUp(t)
	require.NoError(t, d.load(t.Context(), 11, 400))
	d.caughtUp(t)
	base := d.oracle(t)
	if len(base) > 0 {
		t.Logf("the service left the target different from its sources, by the independent comparison too: %v", base)
		d.logWarnings(t)
	}
	rep, code := d.verify(t, "--settle", "3s")
	require.Equal(t, base, kinds(rep), "verify must find what the independent comparison finds")
	require.Equal(t, len(base) > 0, code == 1)
	requireCompared(t, rep)

	// The database compared may be named by a verify.target block, for a
	// configuration without a mysql sink (a Kinesis consumer's database).
	cfg, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	sinks := strings.Index(string(cfg), "sinks:")
	other := filepath.Join(t.TempDir(), "consumer.yaml")
	consumer := func(port int) []byte {
		return []byte(string(cfg[:sinks]) + fmt.Sprintf(
			"sinks:\n  - name: changes\n    type: jsonl\n    jsonl: {path: %s}\nverify:\n  target:\n    host: 127.0.0.1\n    port: %d\n    user: root\n",
			filepath.Join(t.TempDir(), "changes.jsonl"), port))
	}
	require.NoError(t, os.WriteFile(other, consumer(d.target.Port), 0o600))
	rep, code = d.verify(t, "--settle", "3s", "--config", other)
	require.Equal(t, base, kinds(rep), "through verify.target")
	require.Equal(t, len(base) > 0, code == 1)
	requireCompared(t, rep)
	// ... and it is that database that is read: one without the tables fails.
	require.NoError(t, os.WriteFile(other, consumer(d.accounts.Port), 0o600))
	out, err := exec.Command(d.bin, "verify", "--config", other).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "describing the target table", "%s", out)

	// Live: the workload keeps writing and the service keeps streaming
	// while verify runs; every run must find nothing.
	ctx, stop := context.WithCancel(t.Context())
	loadErr := make(chan error, 1)
	go func() { loadErr <- d.load(ctx, 12, 0) }()
	var live []string
	for i := range 5 {
		// Small chunks: more reads interleave with the stream.
		rep, _ := d.verify(t, "--chunk-rows", "50")
		live = append(live, kinds(rep)...)
		requireCompared(t, rep)
		for _, m := range rep.Mappings {
			t.Logf("run %d under load: %s compared %d, re-checked %d", i, m.Target, m.Compared, m.Rechecked)
		}
	}
	stop()
	require.NoError(t, <-loadErr)
	d.caughtUp(t)
	require.NoError(t, svc.Process.Signal(syscall.SIGTERM))
	require.NoError(t, svc.Wait())
	// What verify reported under load must be real: still there, by the
	// independent comparison, once the stream has caught up.
	final := d.oracle(t)
	if len(final) > 0 {
		t.Logf("the service left the target different from its sources, by the independent comparison too: %v", final)
		d.logWarnings(t)
	}
	for _, k := range live {
		require.Contains(t, final, k, "verify reported %s under load, and the target does not differ there", k)
	}
	rep, _ = d.verify(t, "--settle", "1s")
	require.Equal(t, final, kinds(rep))
	avoid := "0"
	for _, k := range final {
		avoid += "," + k[strings.LastIndex(k, " ")+1:]
	}

	// Corrupt the target: a missing member, a broken merged column, a
	// broken lookup column and array, a changed and an extra cooksnap,
	// extra members of the shard merge.
	db := d.target.DB(t, "global")
	pick := func(q string) uint64 {
		var id uint64
		require.NoError(t, db.QueryRow(q).Scan(&id), q)
		return id
	}
	gone := pick("SELECT id FROM members WHERE id NOT IN (" + avoid + ") ORDER BY id LIMIT 1")
	bio := pick("SELECT id FROM members WHERE id NOT IN (" + avoid + ") ORDER BY id DESC LIMIT 1")
	author := pick("SELECT id FROM recipes WHERE id NOT IN (" + avoid + ") ORDER BY id LIMIT 1")
	steps := pick("SELECT id FROM recipes WHERE id NOT IN (" + avoid + ") ORDER BY id DESC LIMIT 1")
	snap := pick("SELECT id FROM cooksnaps WHERE id NOT IN (" + avoid + ") ORDER BY id LIMIT 1")
	d.target.Exec(t,
		fmt.Sprintf("DELETE FROM global.members WHERE id = %d", gone),
		fmt.Sprintf("UPDATE global.members SET bio = 'broken' WHERE id = %d", bio),
		fmt.Sprintf("UPDATE global.recipes SET author_name = 'broken' WHERE id = %d", author),
		fmt.Sprintf("UPDATE global.recipes SET steps = '[\"broken\"]' WHERE id = %d", steps),
		fmt.Sprintf("UPDATE global.cooksnaps SET comment = CONCAT('x', COALESCE(comment, '')) WHERE id = %d", snap),
		fmt.Sprintf("INSERT INTO global.cooksnaps (id, recipe_id, user_id, comment) VALUES (%d, 1, 1, 'extra')", 4_000_000_000),
		// A member in each shard's range that neither shard has: one
		// whose key copies the source's (looked up by key), one whose key
		// is computed (id + 1000000000: the shard's table is read again).
		"INSERT INTO global.members (id, email, display_name) VALUES (999999999, 'e1@x', 'extra'), (1999999999, 'e2@x', 'extra')",
	)
	rep, code = d.verify(t, "--settle", "1s")
	require.Equal(t, 1, code)
	want := []string{
		fmt.Sprintf("global.cooksnaps different %d [comment]", snap),
		fmt.Sprintf("global.cooksnaps extra %d []", 4_000_000_000),
		fmt.Sprintf("global.members different %d [bio]", bio),
		fmt.Sprintf("global.members missing %d []", gone),
		"global.members extra 1999999999 []",
		"global.members extra 999999999 []",
		fmt.Sprintf("global.recipes different %d [author_name]", author),
		fmt.Sprintf("global.recipes different %d [steps]", steps),
	}
	slices.Sort(want)
	require.Subset(t, found(rep), want)
	var wantKinds []string
	for _, w := range want {
		wantKinds = append(wantKinds, w[:strings.LastIndex(w, " ")])
	}
	wantKinds = append(wantKinds, final...)
	slices.Sort(wantKinds)
	require.Equal(t, wantKinds, kinds(rep))
	// cooksnaps copies one table's columns: compared by checksums, and
	// row by row with --no-fast-path, finding the same; every source's
	// load is reported.
	paths := func(rep *verify.Report) map[string]string {
		out := map[string]string{}
		for _, m := range rep.Mappings {
			out[m.Target] = m.Path
		}
		return out
	}
	require.Equal(t, map[string]string{"global.cooksnaps": verify.PathChecksum, "global.members": verify.PathRows,
		"global.recipes": verify.PathRows}, paths(rep))
	var loaded []string
	for _, l := range rep.Sources {
		loaded = append(loaded, l.Source)
		require.Positive(t, l.Queries, l.Source)
	}
	require.Equal(t, []string{"jp-accounts", "jp-accounts-2", "jp-recipes"}, loaded)
	slow, code := d.verify(t, "--settle", "1s", "--no-fast-path", "--max-rows-per-second", "1000000")
	require.Equal(t, 1, code)
	require.Equal(t, wantKinds, kinds(slow))
	require.Equal(t, verify.PathRows, paths(slow)["global.cooksnaps"])

	// One mapping, by its target table or its file.
	rep, code = d.verify(t, "--settle", "1s", "--mapping", "global.members")
	require.Equal(t, 1, code)
	require.Len(t, rep.Mappings, 1)
	require.Equal(t, 4+len(slices.DeleteFunc(slices.Clone(final), func(k string) bool {
		return !strings.HasPrefix(k, "global.members ")
	})), rep.Differences())
	// --record keeps the differing keys as a range to repair, through
	// the running service.
	rep, code = d.verify(t, "--settle", "1s", "--mapping", "global.members", "--record")
	require.Equal(t, 1, code)
	out, err = exec.Command(d.bin, "ranges", "list", "--config", d.cfg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `global\.members\s+-\s+`+strconv.Itoa(rep.Differences())+` keys?\s+verify`, string(out))
	_, file, _, _ := runtime.Caller(0)
	rep, code = d.verify(t, "--settle", "1s", "--mapping", filepath.Join(filepath.Dir(file), "..", "..", "mappings", "cooksnaps.yaml"))
	require.Equal(t, 1, code)
	require.Len(t, rep.Mappings, 1)
	require.Equal(t, "global.cooksnaps", rep.Mappings[0].Target)

	// Errors are exit 2: bad usage, an unknown mapping, a refused
	// predicate, a target that cannot be reached.
	exitCode := func(args ...string) int {
		out, err := exec.Command(d.bin, append([]string{"verify", "--config", d.cfg}, args...)...).CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%v: %s", args, out)
		return exit.ExitCode()
	}
	require.Equal(t, 2, exitCode("--format", "xml"))
	require.Equal(t, 2, exitCode("--mapping", "global.nothing"))
	require.Equal(t, 2, exitCode("--where", "id = 1; DROP TABLE x"))
	require.NoError(t, d.target.Stop())
	require.Equal(t, 2, exitCode())
}
