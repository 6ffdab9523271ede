package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// sbtestDDL is the table of the sysbench-like workloads; withTS adds the
// commit-time column the lag benchmark measures with. With
// TRIBUTARY_BENCH_UNIQUE=1 its index on k is a unique key on (k, id):
// every row still fits it, but the table has a unique key besides its
// primary key, whose rows the MySQL sink's one worker writes in runs
// split over several connections (split_runs; TRIBUTARY_BENCH_SINK can
// set it off).
func sbtestDDL(withTS bool) string {
	ts := ""
	if withTS {
		ts = ", ts DATETIME(6) NOT NULL"
	}
	index := "KEY k_1 (k)"
	if os.Getenv("TRIBUTARY_BENCH_UNIQUE") == "1" {
		index = "UNIQUE KEY k_1 (k, id)"
	}
	return `CREATE TABLE bench.sbtest1 (id INT NOT NULL PRIMARY KEY, k INT NOT NULL DEFAULT 0,
		c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT ''` + ts + `, ` + index + `)`
}

// sbtestFill returns an INSERT of the rows lo..hi, deterministic so that
// every server loaded with it holds the same data.
func sbtestFill(lo, hi int, withTS bool) string {
	ts := ""
	if withTS {
		ts = ", '2026-01-01 00:00:00'"
	}
	return fmt.Sprintf(`INSERT INTO bench.sbtest1 SELECT seq, seq * 7919 %% 100000,
		CONCAT_WS('-', MD5(seq), MD5(seq + 1), MD5(seq + 2)), CONCAT(MD5(seq * 3), '-', LEFT(MD5(seq * 5), 20))%s
		FROM seq_%d_to_%d`, ts, lo, hi)
}

// prepareTable creates bench.sbtest1 on s and fills it with rows initial
// rows, in one session that writes no binlog when quiet is set, so a
// replica's own GTID history stays empty.
func prepareTable(tb testing.TB, s *testenv.Server, rows int, withTS, quiet bool, extra ...string) {
	stmts := []string{"CREATE DATABASE bench", "USE bench", sbtestDDL(withTS)}
	for lo := 1; lo <= rows; lo += 10_000 {
		stmts = append(stmts, sbtestFill(lo, min(lo+9_999, rows), withTS))
	}
	stmts = append(stmts, extra...)
	if quiet {
		stmts = append([]string{"SET SESSION sql_log_bin = 0"}, stmts...)
	}
	// One multi-statement exec runs on one connection, so the session
	// setting holds for every statement.
	_, err := s.DB(tb, "").Exec(strings.Join(stmts, ";\n"))
	require.NoError(tb, err)
}

// tableChecksum returns CHECKSUM TABLE of bench.sbtest1 and its row count.
func tableChecksum(tb testing.TB, db *sql.DB) (sum uint64, rows int) {
	var name string
	require.NoError(tb, db.QueryRow("CHECKSUM TABLE bench.sbtest1").Scan(&name, &sum))
	require.NoError(tb, db.QueryRow("SELECT COUNT(*) FROM bench.sbtest1").Scan(&rows))
	return sum, rows
}

// requireSameTable fails unless the two servers hold the same
// bench.sbtest1, compared by CHECKSUM TABLE and row count.
func requireSameTable(tb testing.TB, want, got *testenv.Server, what string) {
	wantSum, wantRows := tableChecksum(tb, want.DB(tb, ""))
	gotSum, gotRows := tableChecksum(tb, got.DB(tb, ""))
	require.Equal(tb, wantRows, gotRows, "%s: row count differs from the source", what)
	require.Equal(tb, wantSum, gotSum, "%s: table checksum differs from the source", what)
}

// tributaryProc is a tributary run process streaming one source through a
// one-table mapping into a MySQL target.
type tributaryProc struct {
	cmd  *exec.Cmd
	addr string
	// cfg is the path of its configuration.
	cfg string
}

// startTributary maps bench.sbtest1 of src onto bench.sbtest1 of dst, sets
// the source checkpoint to from and starts tributary run.
func startTributary(tb testing.TB, bin string, src, dst *testenv.Server, from string) *tributaryProc {
	return startTributaryWith(tb, bin, src, dst, from, "")
}

// startTributaryWith is startTributary with sourceExtra, indented YAML
// lines, added to the source's settings. With TRIBUTARY_BENCH_PPROF=DIR
// set, the service serves pprof and profiles of the drain are written to
// DIR (see profile).
func startTributaryWith(tb testing.TB, bin string, src, dst *testenv.Server, from, sourceExtra string) *tributaryProc {
	dir := tb.TempDir()
	mapping := filepath.Join(dir, "sbtest1.yaml")
	require.NoError(tb, os.WriteFile(mapping, []byte(`target: bench.sbtest1
key: [id]
sources:
  - source: bench
    table: bench.sbtest1
    all_columns: true
`), 0o600))
	addr := testenv.FreeAddr(tb)
	cfg := filepath.Join(dir, "tributary.yaml")
	require.NoError(tb, os.WriteFile(cfg, []byte(fmt.Sprintf(`log:
  level: warn
pebble:
  dir: %s
checkpoint:
  interval: 100ms
http:
  listen: %s
  pprof: %t
mappings:
  - %s
sources:
  - name: bench
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 9001
%ssinks:
  - name: target
    type: mysql
    mysql:
      dsn: %q
%s`, filepath.Join(dir, "pebble"), addr, os.Getenv("TRIBUTARY_BENCH_PPROF") != "", mapping, src.Port, sourceExtra,
		dst.DSN("root", "", ""), sinkExtra)), 0o600))
	out, err := exec.Command(bin, "checkpoint", "set", "--config", cfg, "--source", "bench", "--gtid", from).CombinedOutput()
	require.NoError(tb, err, "%s", out)
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stderr = os.Stderr
	require.NoError(tb, cmd.Start())
	p := &tributaryProc{cmd: cmd, addr: addr, cfg: cfg}
	tb.Cleanup(func() { _ = p.stop() })
	return p
}

// sinkExtra is added, as indented YAML lines, to the mysql sink's settings
// of the drains (TRIBUTARY_BENCH_SINK, with "\n" for line breaks).
var sinkExtra = strings.ReplaceAll(os.Getenv("TRIBUTARY_BENCH_SINK"), `\n`, "\n")

// profile saves a heap profile of the service at addr taken a second
// after the start, then a 4-second CPU profile, into new files in dir,
// unless ctx ends first.
func profile(ctx context.Context, tb testing.TB, addr, dir string) {
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return
	}
	for _, p := range []struct{ name, path string }{{"heap", "heap"}, {"cpu", "profile?seconds=4"}} {
		if err := saveProfile(ctx, addr, p.path, dir, p.name); err != nil {
			tb.Logf("%s profile: %v", p.name, err)
		}
	}
}

// saveProfile saves /debug/pprof/path of the service at addr into a new
// file in dir.
func saveProfile(ctx context.Context, addr, path, dir, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(dir, name+"-*.pprof")
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// stop ends the process with SIGTERM and waits for it.
func (p *tributaryProc) stop() error {
	if p.cmd == nil {
		return nil
	}
	defer func() { p.cmd = nil }()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return p.cmd.Wait()
}

// tributaryDrain streams from..to of src into dst and returns the time from
// the start of the process until the source's checkpoint has reached to,
// which it does only once the target has committed everything before it.
// The checkpoint interval is 100 ms so that waiting for it adds little to
// the time the target took.
// The target must then hold rows rows.
func tributaryDrain(tb testing.TB, bin string, src, dst *testenv.Server, from, to string, rows int) time.Duration {
	return tributaryDrainStats(tb, bin, src, dst, from, to, rows, "", nil).took
}

// tributaryDrainWith is tributaryDrain with sourceExtra added to the
// source's settings and during, when set, running beside the drain with
// the service's HTTP address until it ends.
func tributaryDrainWith(tb testing.TB, bin string, src, dst *testenv.Server, from, to string, rows int,
	sourceExtra string, during func(ctx context.Context, addr string)) time.Duration {
	return tributaryDrainStats(tb, bin, src, dst, from, to, rows, sourceExtra, during).took
}

// drainStats are the figures of one drain: its time, the peak RSS of the
// process in KiB and the CPU seconds it, the target and the source used.
type drainStats struct {
	took                      time.Duration
	hwm                       int64
	cpu, targetCPU, sourceCPU float64
	// batchOps is the mean of the operations per worker batch, and
	// applySeconds the mean time of one target transaction (the mysql
	// sink's histograms).
	batchOps, applySeconds float64
}

// tributaryDrainStats is tributaryDrainWith returning every figure of the
// drain.
func tributaryDrainStats(tb testing.TB, bin string, src, dst *testenv.Server, from, to string, rows int,
	sourceExtra string, during func(ctx context.Context, addr string)) drainStats {
	target0, source0 := serversCPU(tb, dst), serversCPU(tb, src)
	t0 := time.Now()
	p := startTributaryWith(tb, bin, src, dst, from, sourceExtra)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if during != nil {
			during(ctx, p.addr)
		}
	}()
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		if dir := os.Getenv("TRIBUTARY_BENCH_PPROF"); dir != "" {
			profile(ctx, tb, p.addr, dir)
		}
	}()
	err := waitCheckpointed(p.addr, to, 10*time.Minute)
	took := time.Since(t0)
	stop()
	<-done
	<-profiled
	require.NoError(tb, err)
	var n int
	require.NoError(tb, dst.DB(tb, "").QueryRow("SELECT COUNT(*) FROM bench.sbtest1").Scan(&n))
	require.Equal(tb, rows, n, "target row count once tributary checkpointed %s", to)
	st := drainStats{took: took}
	st.batchOps, st.applySeconds = histogramMean(p.addr, "tributary_mysql_batch_operations"),
		histogramMean(p.addr, "tributary_mysql_apply_seconds")
	st.hwm, err = procStatus(p.cmd.Process.Pid, "VmHWM")
	require.NoError(tb, err)
	st.cpu, err = cpuSeconds(p.cmd.Process.Pid)
	require.NoError(tb, err)
	st.targetCPU, st.sourceCPU = serversCPU(tb, dst)-target0, serversCPU(tb, src)-source0
	require.NoError(tb, p.stop())
	return st
}

// nativeStats are the figures of one native replica's drain: its time and
// the CPU seconds the replica and the source servers used meanwhile.
type nativeStats struct {
	took                  time.Duration
	replicaCPU, sourceCPU float64
}

// cpu describes the servers' CPU over rows row changes.
func (n nativeStats) cpu(rows float64) string {
	return fmt.Sprintf("CPU %.1fs replica and %.1fs source (%.1f and %.1f us a row change)",
		n.replicaCPU, n.sourceCPU, n.replicaCPU/rows*1e6, n.sourceCPU/rows*1e6)
}

// nativeDrain makes replica a MariaDB replica of src from the GTID position
// from, with threads parallel appliers in optimistic mode (0: the single
// SQL thread), and returns the time from START SLAVE until it has applied
// to, with the servers' CPU.
func nativeDrain(tb testing.TB, src, replica *testenv.Server, from, to string, threads int) nativeStats {
	db := replica.DB(tb, "")
	stmts := []string{fmt.Sprintf("SET GLOBAL gtid_slave_pos = '%s'", from)}
	if threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET GLOBAL slave_parallel_threads = %d", threads),
			"SET GLOBAL slave_parallel_mode = 'optimistic'")
	}
	stmts = append(stmts, fmt.Sprintf("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = %d, MASTER_USER = 'root', MASTER_USE_GTID = slave_pos", src.Port))
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(tb, err, "executing %q", q)
	}
	replica0, source0 := serversCPU(tb, replica), serversCPU(tb, src)
	t0 := time.Now()
	_, err := db.Exec("START SLAVE")
	require.NoError(tb, err)
	var res int
	require.NoError(tb, db.QueryRow("SELECT MASTER_GTID_WAIT(?, 600)", to).Scan(&res))
	st := nativeStats{took: time.Since(t0)}
	st.replicaCPU, st.sourceCPU = serversCPU(tb, replica)-replica0, serversCPU(tb, src)-source0
	require.Equal(tb, 0, res, "replica did not reach %s: %s", to, slaveError(tb, db))
	_, err = db.Exec("STOP SLAVE")
	require.NoError(tb, err)
	return st
}

// slaveError returns the replication threads' last errors.
func slaveError(tb testing.TB, db *sql.DB) string {
	rows, err := db.Query("SHOW SLAVE STATUS")
	require.NoError(tb, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(tb, err)
	if !rows.Next() {
		return "no replication configured"
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	require.NoError(tb, rows.Scan(ptrs...))
	var out []string
	for i, c := range cols {
		if c == "Last_IO_Error" || c == "Last_SQL_Error" {
			out = append(out, c+": "+vals[i].String)
		}
	}
	return strings.Join(out, "; ")
}

// waitCheckpointed polls /status until the source's checkpoint is gtid.
// The applied position only says that the sinks accepted a transaction;
// the checkpoint moves after they have committed it.
func waitCheckpointed(addr, gtid string, timeout time.Duration) error {
	return waitStatus(addr, gtid, timeout, func(s replicator.Status) change.Position { return s.Checkpoint })
}

// replicaOptions starts a native replica that writes what it applies to
// its own binlog, as the target does with Tributary's writes: without
// log_slave_updates the replica would skip a cost the target pays.
func replicaOptions(id int) testenv.Options {
	o := durable(id)
	o.ExtraArgs = append(o.ExtraArgs, "--log-slave-updates")
	return o
}

// durable starts a server that makes each commit durable, as production
// servers do: innodb_flush_log_at_trx_commit=1 and sync_binlog=1, against
// the test servers' 2 and 0. The drains against the native replica run
// every server so, since the replica commits each source transaction and
// Tributary groups them. TRIBUTARY_BENCH_DURABLE=0 keeps the test
// servers' settings, which leaves the CPU as the only bound.
func durable(id int) testenv.Options {
	o := testenv.Options{ServerID: id}
	if os.Getenv("TRIBUTARY_BENCH_DURABLE") != "0" {
		o.ExtraArgs = []string{"--innodb-flush-log-at-trx-commit=1", "--sync-binlog=1"}
	}
	return o
}

// clientCeiling copies bench.sbtest1 of src into an empty table on dst
// with nothing but the driver: the rows are read into memory first, then
// written by workers connections in 1,000-row INSERT ... ON DUPLICATE KEY
// UPDATE statements, which is what any client-side applier must at least
// do. It returns the time of the writes alone, so it bounds from above
// what Tributary can reach through the client protocol on this machine,
// and the CPU seconds dst used for them.
func clientCeiling(tb testing.TB, src, dst *testenv.Server, workers int) (time.Duration, float64) {
	const perStmt = 1000
	rows, err := src.DB(tb, "").Query("SELECT id, k, c, pad FROM bench.sbtest1 ORDER BY id")
	require.NoError(tb, err)
	var all [][4]any
	for rows.Next() {
		var id, k int64
		var c, pad string
		require.NoError(tb, rows.Scan(&id, &k, &c, &pad))
		all = append(all, [4]any{id, k, c, pad})
	}
	require.NoError(tb, rows.Err())
	require.NoError(tb, rows.Close())

	// Parameters are interpolated client side, as the sink does.
	db, err := sql.Open("mysql", dst.DSN("root", "", "bench")+"&interpolateParams=true")
	require.NoError(tb, err)
	defer db.Close()
	db.SetMaxIdleConns(workers)
	insert := func(batch [][4]any) error {
		var q strings.Builder
		q.WriteString("INSERT INTO sbtest1 (id, k, c, pad) VALUES ")
		args := make([]any, 0, 4*len(batch))
		for i, r := range batch {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?)")
			args = append(args, r[:]...)
		}
		q.WriteString(" ON DUPLICATE KEY UPDATE k = VALUES(k), c = VALUES(c), pad = VALUES(pad)")
		_, err := db.Exec(q.String(), args...)
		return err
	}
	cpu0 := serversCPU(tb, dst)
	t0 := time.Now()
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for lo := w * perStmt; lo < len(all); lo += workers * perStmt {
				if err := insert(all[lo:min(lo+perStmt, len(all))]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		require.NoError(tb, <-errs)
	}
	return time.Since(t0), serversCPU(tb, dst) - cpu0
}

// histogramMean returns the mean of a histogram of the service at addr,
// summed over its labels, or 0 when it cannot be read.
func histogramMean(addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	var sum, count float64
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], name+"_sum"):
			sum += v
		case strings.HasPrefix(f[0], name+"_count"):
			count += v
		}
	}
	if count == 0 {
		return 0
	}
	return sum / count
}
