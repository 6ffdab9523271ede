package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/migrate"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/migrations"
)

// benchSource is one configured source of a mapped drain and the binlog
// range it streams.
type benchSource struct {
	name     string
	srv      *testenv.Server
	from, to string
}

// drainResult is what one mapped drain measured.
type drainResult struct {
	took time.Duration
	// lookups is tributary_lookup_queries_total at the end (0 when the
	// mappings need no lookups and the metric does not exist).
	lookups float64
	// seen is tributary_mysql_seen_rederives_total at the end: the
	// re-derivations neither read nor written.
	seen float64
	// unchanged is tributary_mysql_unchanged_updates_total at the end:
	// the updates left out because the row already held their values.
	unchanged float64
	// split and fellBack are tributary_mysql_split_runs_total and
	// tributary_mysql_split_fallbacks_total at the end: the runs of a
	// table with another unique key written by several connections, and
	// those rolled back and written by one.
	split, fellBack float64
	// applying and reading are the sums of tributary_mysql_apply_seconds
	// and tributary_mysql_lookup_seconds at the end: the time the workers
	// spent applying runs, and the part of it they spent reading lookups.
	applying, reading float64
	// ourCPU, targetCPU and sourceCPU are the CPU seconds over the drain
	// of the tributary process, of the target server and of the source
	// servers together, which serve the lookups besides the binlog.
	ourCPU, targetCPU, sourceCPU float64
}

// cpu is the CPU seconds of every process of the drain.
func (r drainResult) cpu() float64 { return r.ourCPU + r.targetCPU + r.sourceCPU }

// ceiling returns what bounds r's rate against base's on this machine's
// cores, which the drains' processes share: the highest ratio r could
// reach against base as measured, since r cannot take less time than
// its CPU spread over every core; and the ratio of their CPU, which the
// ratio would be were both drains to keep every core busy.
func ceiling(base, r drainResult) (atMost, bothBusy float64) {
	return base.took.Seconds() * float64(runtime.NumCPU()) / r.cpu(), base.cpu() / r.cpu()
}

// drainTimeout bounds the wait for a mapped drain's checkpoints.
const drainTimeout = 10 * time.Minute

// migratedTarget starts a target server with the demo's global schema.
func migratedTarget(tb testing.TB, serverID int) *testenv.Server {
	dst := testenv.StartT(tb, testenv.Options{ServerID: serverID, GTIDDomain: serverID})
	require.NoError(tb, schema.Apply(tb.Context(), dst.DB(tb, ""), schema.Target))
	require.NoError(tb, migrate.Up(tb.Context(), dst.DB(tb, "global"), migrations.FS, nil))
	return dst
}

// mappedDrain streams every source's range through mappings (the YAML
// texts of mapping files) into dst, and returns the time from the start
// of tributary run until every source's checkpoint has reached its end,
// which happens only once the target has committed everything before it.
// Unlike startTributary it configures several sources and mappings and
// reads the process's lookup counter before stopping it.
func mappedDrain(tb testing.TB, bin string, srcs []benchSource, mappings []string, dst *testenv.Server) drainResult {
	dir := tb.TempDir()
	var cfg strings.Builder
	addr := testenv.FreeAddr(tb)
	pprofDir := os.Getenv("TRIBUTARY_BENCH_PPROF")
	fmt.Fprintf(&cfg, "log:\n  level: warn\npebble:\n  dir: %s\ncheckpoint:\n  interval: 100ms\nhttp:\n  listen: %s\n  pprof: %t\nmappings:\n",
		filepath.Join(dir, "pebble"), addr, pprofDir != "")
	for i, m := range mappings {
		path := filepath.Join(dir, fmt.Sprintf("mapping%d.yaml", i))
		require.NoError(tb, os.WriteFile(path, []byte(m), 0o600))
		fmt.Fprintf(&cfg, "  - %s\n", path)
	}
	cfg.WriteString("sources:\n")
	want := make(map[string]string, len(srcs))
	for i, s := range srcs {
		fmt.Fprintf(&cfg, "  - {name: %s, host: 127.0.0.1, port: %d, user: root, server_id: %d}\n", s.name, s.srv.Port, 9001+i)
		want[s.name] = s.to
	}
	fmt.Fprintf(&cfg, "sinks:\n  - name: target\n    type: mysql\n    mysql:\n      dsn: %q\n%s", dst.DSN("root", "", ""), sinkExtra)
	cfgPath := filepath.Join(dir, "tributary.yaml")
	require.NoError(tb, os.WriteFile(cfgPath, []byte(cfg.String()), 0o600))
	for _, s := range srcs {
		out, err := exec.Command(bin, "checkpoint", "set", "--config", cfgPath, "--source", s.name, "--gtid", s.from).CombinedOutput()
		require.NoError(tb, err, "%s", out)
	}

	targetCPU0, sourceCPU0 := serversCPU(tb, dst), serversCPU(tb, srcServers(srcs)...)
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	require.NoError(tb, cmd.Start())
	p := &tributaryProc{cmd: cmd, addr: addr}
	tb.Cleanup(func() { _ = p.stop() })
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		if pprofDir != "" {
			profileDrain(tb, addr, pprofDir)
		}
	}()
	require.NoError(tb, waitCheckpoints(addr, want, drainTimeout))
	res := drainResult{took: time.Since(t0)}
	if pprofDir != "" {
		_ = saveProfile(context.Background(), addr, "heap", pprofDir, "heap")
	}
	<-profiled
	res.targetCPU = serversCPU(tb, dst) - targetCPU0
	res.sourceCPU = serversCPU(tb, srcServers(srcs)...) - sourceCPU0
	// The process's own CPU is only readable while it runs.
	var err error
	res.ourCPU, err = cpuSeconds(cmd.Process.Pid)
	require.NoError(tb, err)
	res.lookups, err = metricValue(addr, "tributary_lookup_queries_total")
	require.NoError(tb, err)
	res.seen, err = metricValue(addr, "tributary_mysql_seen_rederives_total")
	require.NoError(tb, err)
	res.unchanged, err = metricValue(addr, "tributary_mysql_unchanged_updates_total")
	require.NoError(tb, err)
	res.split, err = metricValue(addr, "tributary_mysql_split_runs_total")
	require.NoError(tb, err)
	res.fellBack, err = metricValue(addr, "tributary_mysql_split_fallbacks_total")
	require.NoError(tb, err)
	res.applying, err = metricValue(addr, "tributary_mysql_apply_seconds_sum")
	require.NoError(tb, err)
	res.reading, err = metricValue(addr, "tributary_mysql_lookup_seconds_sum")
	require.NoError(tb, err)
	if os.Getenv("TRIBUTARY_BENCH_METRICS") != "" {
		logMetrics(tb, addr)
	}
	require.NoError(tb, p.stop())
	return res
}

// logMetrics logs the tributary_ samples of the service at addr but for
// histograms' buckets: what a drain did, to read beside its figures.
func logMetrics(tb testing.TB, addr string) {
	err := eachMetricLine(addr, func(l string) error {
		if strings.HasPrefix(l, "tributary_") && !strings.Contains(l, "_bucket{") {
			tb.Log(l)
		}
		return nil
	})
	if err != nil {
		tb.Logf("no metrics: %v", err)
	}
}

// srcServers returns the servers of srcs.
func srcServers(srcs []benchSource) []*testenv.Server {
	out := make([]*testenv.Server, len(srcs))
	for i, s := range srcs {
		out[i] = s.srv
	}
	return out
}

// serversCPU returns the CPU seconds the servers have used so far.
func serversCPU(tb testing.TB, servers ...*testenv.Server) float64 {
	total := 0.0
	for _, s := range servers {
		cpu, err := cpuSeconds(s.PID)
		require.NoError(tb, err)
		total += cpu
	}
	return total
}

// statusClient reads /status and /metrics; a process that stops answering
// must not stall the poll.
var statusClient = &http.Client{Timeout: 5 * time.Second}

// waitCheckpoints polls /status until every named source's checkpoint has
// the GTID set want[name]; on timeout it reports the last status seen.
func waitCheckpoints(addr string, want map[string]string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last []replicator.Status
	for time.Now().Before(deadline) {
		if st, err := readStatus(addr); err == nil {
			last = st
			if reached(st, want) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("sources did not all reach %v within %s; last status %+v", want, timeout, last)
}

// readStatus returns the sources' status from /status.
func readStatus(addr string) ([]replicator.Status, error) {
	resp, err := statusClient.Get("http://" + addr + "/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st []replicator.Status
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// reached reports whether st shows every source of want at its position.
func reached(st []replicator.Status, want map[string]string) bool {
	done := 0
	for _, s := range st {
		if gtid, ok := want[s.Source]; ok && s.Checkpoint.GTIDSet == gtid {
			done++
		}
	}
	return done == len(want)
}

// metricValue reads the sum of a metric's samples, whatever their labels,
// from /metrics; a metric the process does not export reads as 0.
func metricValue(addr, name string) (float64, error) {
	sum := 0.0
	err := eachMetricLine(addr, func(l string) error {
		line, ok := strings.CutPrefix(l, name)
		if !ok || line == "" || line[0] != ' ' && line[0] != '{' {
			return nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndexByte(line, ' ')+1:]), 64)
		if err != nil {
			return fmt.Errorf("reading metric %s: %w", name, err)
		}
		sum += v
		return nil
	})
	return sum, err
}

// eachMetricLine calls each with every line of the /metrics of the
// service at addr, stopping at its first error.
func eachMetricLine(addr string, each func(line string) error) error {
	resp, err := statusClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return fmt.Errorf("reading metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if err := each(sc.Text()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// profileDrain saves a CPU profile of the first two seconds of a drain by
// the service at addr into a new file in dir, once the service answers.
func profileDrain(tb testing.TB, addr, dir string) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		err := saveProfile(context.Background(), addr, "profile?seconds=2", dir, "cpu")
		if err == nil {
			return
		}
	}
	tb.Logf("no CPU profile of the drain: the service did not answer")
}
