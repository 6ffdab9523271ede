package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkCheckpointCost streams a workload of many one-row transactions
// into a jsonl file and counts fsyncs (with strace) and CPU time at the
// default 500 ms checkpoint interval. The cost of one checkpoint is too
// small to see beside run-to-run noise, so it is measured amplified: the
// same workload with a 25 ms interval (40 checkpoints/s) against a
// one-minute interval (none while it runs) gives the CPU of one
// checkpoint, and its share at two per second follows.
// Goals: at most 10 fsyncs/s and under 5% of CPU.
func BenchmarkCheckpointCost(b *testing.B) {
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		s := testenv.StartT(b, testenv.Options{ServerID: 1})
		s.Exec(b, "CREATE DATABASE bench", "CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)")
		base := runCheckpointWorkload(b, bin, s, "1m")
		fast := runCheckpointWorkload(b, bin, s, "25ms")
		cur := runCheckpointWorkload(b, bin, s, "500ms")
		// CPU per transaction, so runs that committed a little more or
		// less compare fairly; the extra CPU of the fast run, spread over
		// its checkpoints, is the cost of one.
		fastCost, baseCost := fast.cpu/(fast.txnRate*fast.wall), base.cpu/(base.txnRate*base.wall)
		perCheckpoint := (fastCost - baseCost) * fast.txnRate * fast.wall / (40 * fast.wall)
		share := perCheckpoint * 2 / (cur.cpu / cur.wall)
		b.ReportMetric(cur.txnRate, "txn/s")
		b.ReportMetric(cur.fsyncRate, "fsyncs/s")
		b.ReportMetric(base.fsyncRate, "baseline-fsyncs/s")
		b.ReportMetric(100*cur.cpu/cur.wall, "cpu-%-of-core")
		b.ReportMetric(1000*perCheckpoint, "cpu-ms-per-checkpoint")
		b.ReportMetric(100*share, "checkpoint-%-of-cpu")
		b.Logf("500ms interval: %.0f txn/s, %.1f fsyncs/s, %.1f%% of a core; 1m interval baseline: %.1f fsyncs/s, %.1f%% of a core; 25ms interval: %.1f fsyncs/s, %.1f%% of a core; one checkpoint costs %.2f ms of CPU, %.1f%% of CPU at 500 ms (goals: <= 10 fsyncs/s, < 5%%)",
			cur.txnRate, cur.fsyncRate, 100*cur.cpu/cur.wall, base.fsyncRate, 100*base.cpu/base.wall,
			fast.fsyncRate, 100*fast.cpu/fast.wall, 1000*perCheckpoint, 100*share)
	}
}

type checkpointRun struct {
	txnRate, fsyncRate, cpu, wall float64
}

var straceCalls = regexp.MustCompile(`(?m)^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync|sync_file_range)$`)

// runCheckpointWorkload runs tributary under strace while two writers
// commit one-row transactions for 8 seconds, then waits until it has
// applied them all (not until they are checkpointed: the baseline's
// interval is a minute).
func runCheckpointWorkload(b *testing.B, bin string, s *testenv.Server, interval string) checkpointRun {
	dir := b.TempDir()
	cfg := writeConfig(b, dir, s, filepath.Join(dir, "out.jsonl"), interval)
	addr := httpAddr(b, cfg)
	straceOut := filepath.Join(dir, "strace.txt")
	cmd := exec.Command("strace", "-f", "--seccomp-bpf", "-c", "-o", straceOut, "-e", "trace=fsync,fdatasync,sync_file_range", bin, "run", "--config", cfg)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	require.NoError(b, waitCaughtUp(bin, cfg, time.Minute))
	pid := tributaryPID(b, cmd.Process.Pid)
	cpu0, err := cpuSeconds(pid)
	require.NoError(b, err)

	db := s.DB(b, "bench")
	ctx, cancel := context.WithTimeout(b.Context(), 8*time.Second)
	defer cancel()
	var txns atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := db.Exec("INSERT INTO bench.t (v) VALUES (1)"); err == nil {
					txns.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(b, waitApplied(b, addr, gtidPos(b, db), 5*time.Minute))
	wall := time.Since(t0).Seconds()
	cpu1, err := cpuSeconds(pid)
	require.NoError(b, err)
	require.NoError(b, syscall.Kill(pid, syscall.SIGTERM))
	require.NoError(b, cmd.Wait())
	return checkpointRun{
		txnRate:   float64(txns.Load()) / wall,
		fsyncRate: float64(countSyscalls(b, straceOut)) / wall,
		cpu:       cpu1 - cpu0,
		wall:      wall,
	}
}

// tributaryPID finds the traced child of strace.
func tributaryPID(b *testing.B, stracePID int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(stracePID) + "/task/" + strconv.Itoa(stracePID) + "/children")
	require.NoError(b, err)
	pid, err := strconv.Atoi(string(regexp.MustCompile(`\d+`).Find(data)))
	require.NoError(b, err, "no child of strace")
	return pid
}

func countSyscalls(b *testing.B, path string) int {
	f, err := os.Open(path)
	require.NoError(b, err)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := straceCalls.FindStringSubmatch(sc.Text()); m != nil {
			c, _ := strconv.Atoi(m[1])
			n += c
		}
	}
	return n
}
