package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkBackfill copies a 1,000,000-row table into an empty MariaDB
// target through tributary (backfill: initial, MySQL sink) and, in the
// same run, with `mariadb-dump --single-transaction --quick | mariadb`
// into another empty target, and reports the rows/s of each and their
// ratio, with the peak RSS of tributary during its copy (goal under
// 256 MiB). It then measures the transactions/s of a live writer on the
// source alone and during a second backfill of the same table, and
// reports their ratio; that copy must end equal to the source too.
func BenchmarkBackfill(b *testing.B) {
	const rows = 1_000_000
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
		t0 := time.Now()
		prepareTable(b, src, rows, false, false)
		b.Logf("source: %d rows of bench.sbtest1 written in %.1fs", rows, time.Since(t0).Seconds())

		target := testenv.StartT(b, copyTarget(2))
		prepareTable(b, target, 0, false, true)
		ours := backfillCopy(b, bin, src, target, "", nil, true)
		requireSameTable(b, src, target, "tributary backfill")

		dumpTarget := testenv.StartT(b, copyTarget(3))
		prepareTable(b, dumpTarget, 0, false, true)
		dump := dumpCopy(b, src, dumpTarget)
		requireSameTable(b, src, dumpTarget, "mariadb-dump copy")

		ourRate, dumpRate := rows/ours.took.Seconds(), rows/dump.Seconds()
		hwm := ours.hwm
		b.ReportMetric(ourRate, "tributary-rows/s")
		b.ReportMetric(dumpRate, "dump-rows/s")
		b.ReportMetric(ourRate/dumpRate, "ratio-vs-dump")
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
		b.Logf("copy of %d rows: tributary backfill %.1fs %.0f rows/s; mariadb-dump | mariadb %.1fs %.0f rows/s; ratio %.2f; "+
			"tributary peak RSS %.0f MiB (goal under 256 MiB)",
			rows, ours.took.Seconds(), ourRate, dump.Seconds(), dumpRate, ourRate/dumpRate, float64(hwm)/1024)
		b.Logf("CPU seconds during the tributary copy (%.1fs on %d cores): tributary %.1f, source server %.1f, target server %.1f",
			ours.took.Seconds(), runtime.NumCPU(), ours.cpu, ours.srcCPU, ours.dstCPU)

		// The live workload: its rate alone, while tributary streams it
		// (the baseline: a service always streams), then during a
		// backfill.
		w := &writer{db: src.DB(b, "bench"), rows: rows}
		alone := w.measure(b, 15*time.Second)
		var streamed float64
		streaming(b, bin, src, target, func() { streamed = w.measure(b, 15*time.Second) })
		_, err := target.DB(b, "").Exec("TRUNCATE TABLE bench.sbtest1")
		require.NoError(b, err)
		var during, capped float64
		backfillCopy(b, bin, src, target, "", func() { during = w.measure(b, 15*time.Second) }, true)
		requireSameTable(b, src, target, "tributary backfill under the live writer")
		// The same under a rate cap, stopped once measured.
		_, err = target.DB(b, "").Exec("TRUNCATE TABLE bench.sbtest1")
		require.NoError(b, err)
		backfillCopy(b, bin, src, target, fmt.Sprintf("    backfill_max_rows_per_second: %d\n", cappedRate),
			func() { capped = w.measure(b, 15*time.Second) }, false)
		b.ReportMetric(alone, "writer-tps-alone")
		b.ReportMetric(streamed, "writer-tps-streamed")
		b.ReportMetric(during, "writer-tps-during")
		b.ReportMetric(during/streamed, "writer-ratio")
		b.ReportMetric(capped/streamed, "writer-ratio-capped")
		b.Logf("live writer on the source (%d connections, one-row updates): %.0f tx/s with no tributary, %.0f tx/s while "+
			"tributary streams it (the baseline), %.0f tx/s during a backfill: ratio %.2f; %.0f tx/s during a backfill "+
			"capped at %d rows/s: ratio %.2f",
			writerConns, alone, streamed, during, during/streamed, capped, cappedRate, capped/streamed)
		for _, s := range []*testenv.Server{dumpTarget, target, src} {
			require.NoError(b, s.Stop())
		}
	}
}

// copyTarget is a target server whose buffer pool and redo log hold the
// copied table: with the test servers' 64 MiB both copies wait mostly on
// the target flushing pages, whatever writes to it.
func copyTarget(id int) testenv.Options {
	return testenv.Options{ServerID: id, ExtraArgs: []string{"--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"}}
}

// cappedRate is the backfill_max_rows_per_second of the capped copy.
const cappedRate = 5000

// copyRun is what backfillCopy measured.
type copyRun struct {
	took time.Duration
	hwm  int64 // peak RSS of tributary, KiB
	// CPU seconds of tributary and of the two servers over the copy.
	cpu, srcCPU, dstCPU float64
}

// backfillCopy starts tributary with backfill: initial on a fresh store,
// mapping src's bench.sbtest1 onto dst's, and measures the time from the
// start of the process until the copy is done and checkpointed, the
// process's peak RSS and the CPU used. extra is added to the source's
// settings; during, when set, runs once the copy has begun. Unless finish
// is set, the process is stopped once during returns.
func backfillCopy(b testing.TB, bin string, src, dst *testenv.Server, extra string, during func(), finish bool) copyRun {
	srcCPU0, dstCPU0 := serverCPU(b, src), serverCPU(b, dst)
	t0 := time.Now()
	cmd, addr := startCopier(b, bin, src, dst, "    backfill: initial\n"+extra)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if during != nil {
		require.NoError(b, waitBackfill(addr, func(t tableProgress) bool { return t.Rows > 0 }, time.Minute))
		during()
		if !finish {
			return copyRun{}
		}
	}
	require.NoError(b, waitBackfill(addr, func(t tableProgress) bool { return t.Done }, 20*time.Minute))
	// The last high watermark is the source's last transaction once the
	// writer stopped: checkpointed, every copied row is in the target.
	require.NoError(b, waitCheckpointed(addr, gtidPos(b, src.DB(b, "")), 5*time.Minute))
	run := copyRun{took: time.Since(t0)}
	var err error
	run.hwm, err = procStatus(cmd.Process.Pid, "VmHWM")
	require.NoError(b, err)
	run.cpu, err = cpuSeconds(cmd.Process.Pid)
	require.NoError(b, err)
	run.srcCPU, run.dstCPU = serverCPU(b, src)-srcCPU0, serverCPU(b, dst)-dstCPU0
	return run
}

// streaming runs tributary streaming src into dst from the current
// position, with no backfill, while measure runs.
func streaming(b testing.TB, bin string, src, dst *testenv.Server, measure func()) {
	cmd, addr := startCopier(b, bin, src, dst, "    start: current\n")
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		require.True(b, time.Now().Before(deadline), "tributary did not start streaming")
		time.Sleep(50 * time.Millisecond)
	}
	measure()
}

// startCopier starts tributary mapping src's bench.sbtest1 onto dst's,
// with settings added to the source's; it returns the process and its
// HTTP address.
func startCopier(b testing.TB, bin string, src, dst *testenv.Server, settings string) (*exec.Cmd, string) {
	dir := b.TempDir()
	mapping := filepath.Join(dir, "sbtest1.yaml")
	require.NoError(b, os.WriteFile(mapping, []byte(`target: bench.sbtest1
key: [id]
sources:
  - source: bench
    table: bench.sbtest1
    all_columns: true
`), 0o600))
	addr := testenv.FreeAddr(b)
	cfg := filepath.Join(dir, "tributary.yaml")
	require.NoError(b, os.WriteFile(cfg, []byte(fmt.Sprintf(`log:
  level: warn
pebble:
  dir: %s
checkpoint:
  interval: 100ms
http:
  listen: %s
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
`, filepath.Join(dir, "pebble"), addr, mapping, src.Port, settings, dst.DSN("root", "", ""))), 0o600))
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	return cmd, addr
}

// serverCPU returns the CPU seconds a server has used.
func serverCPU(b testing.TB, s *testenv.Server) float64 {
	cpu, err := cpuSeconds(s.PID)
	require.NoError(b, err)
	return cpu
}

// tableProgress is the part of /status a backfill waits on.
type tableProgress struct {
	Rows uint64 `json:"rows"`
	Done bool   `json:"done"`
}

// waitBackfill polls /status until the only source's only backfilled
// table satisfies ok.
func waitBackfill(addr string, ok func(tableProgress) bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/status")
		if err == nil {
			var st []struct {
				replicator.Status
				Backfill []tableProgress `json:"backfill"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			_ = resp.Body.Close()
			if err == nil && len(st) == 1 && len(st[0].Backfill) == 1 && ok(st[0].Backfill[0]) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the backfill did not get there within %s", timeout)
}

// dumpCopy pipes mariadb-dump --single-transaction --quick of src's
// bench.sbtest1 (rows only) into mariadb on dst and returns its time.
func dumpCopy(b testing.TB, src, dst *testenv.Server) time.Duration {
	script := fmt.Sprintf("set -o pipefail; mariadb-dump --single-transaction --quick --no-create-info "+
		"-h 127.0.0.1 -P %d -u root bench sbtest1 | mariadb -h 127.0.0.1 -P %d -u root bench", src.Port, dst.Port)
	t0 := time.Now()
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	require.NoError(b, err, "%s", out)
	return time.Since(t0)
}

// writerConns is how many connections the live writer uses.
const writerConns = 4

// writer is a live workload on the source: one-row UPDATEs of random rows
// of bench.sbtest1, each its own transaction.
type writer struct {
	db   *sql.DB
	rows int
}

// measure writes for d and returns the transactions per second.
func (w *writer) measure(b testing.TB, d time.Duration) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writerConns)
	t0 := time.Now()
	for c := range writerConns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(t0.UnixNano())))
			for ctx.Err() == nil {
				id := rng.IntN(w.rows) + 1
				_, err := w.db.ExecContext(ctx, "UPDATE sbtest1 SET k = k + 1, pad = LEFT(MD5(RAND()), 20) WHERE id = ?", id)
				if err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(t0)
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	return float64(n.Load()) / took.Seconds()
}

// TestBackfillBenchSmoke runs the benchmark's copies on 3,000 rows, so
// that what make bench measures keeps working: both copies must equal the
// source, and a capped copy must stop when told.
func TestBackfillBenchSmoke(t *testing.T) {
	const rows = 3000
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	src := testenv.StartT(t, testenv.Options{ServerID: 1})
	prepareTable(t, src, rows, false, false)
	target := testenv.StartT(t, testenv.Options{ServerID: 2})
	prepareTable(t, target, 0, false, true)
	run := backfillCopy(t, bin, src, target, "    backfill_chunk_rows: 500\n", nil, true)
	requireSameTable(t, src, target, "tributary backfill")
	require.Positive(t, run.hwm)
	dumpTarget := testenv.StartT(t, testenv.Options{ServerID: 3})
	prepareTable(t, dumpTarget, 0, false, true)
	dumpCopy(t, src, dumpTarget)
	requireSameTable(t, src, dumpTarget, "mariadb-dump copy")

	_, err = target.DB(t, "").Exec("TRUNCATE TABLE bench.sbtest1")
	require.NoError(t, err)
	w := &writer{db: src.DB(t, "bench"), rows: rows}
	var tps float64
	backfillCopy(t, bin, src, target, "    backfill_chunk_rows: 500\n    backfill_max_rows_per_second: 1000\n",
		func() { tps = w.measure(t, time.Second) }, false)
	require.Positive(t, tps)
}
