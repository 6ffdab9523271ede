package bench

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkMemory measures the peak RSS of tributary run streaming into a
// discarding sink, beside go-mysql's bare stream over the same binlog in a
// process of its own, for two workloads: one 2,000,000-row transaction, and
// three 64 MiB LOB rows. Each runs as shipped (a 128 MiB soft memory limit)
// and with GOMEMLIMIT=off, Go's default pacing. Goal: under 256 MiB.
func BenchmarkMemory(b *testing.B) {
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	workloads := []struct {
		name string
		rows int
		load func(*sql.DB) error
	}{
		{"2M-row-txn", 2_000_000, func(db *sql.DB) error {
			_, err := db.Exec("INSERT INTO bench.big SELECT seq, seq % 1000, CONCAT('row-', seq) FROM seq_1_to_2000000")
			return err
		}},
		{"64MiB-LOBs", 3, func(db *sql.DB) error {
			for id := 1; id <= 3; id++ {
				if _, err := db.Exec("INSERT INTO bench.lob VALUES (?, REPEAT('x', 64 * 1024 * 1024))", id); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for i := 0; i < b.N; i++ {
		for _, w := range workloads {
			s := testenv.StartT(b, testenv.Options{ServerID: 1})
			s.Exec(b, "CREATE DATABASE bench",
				"CREATE TABLE bench.big (id BIGINT PRIMARY KEY, n INT, name VARCHAR(32))",
				"CREATE TABLE bench.lob (id INT PRIMARY KEY, data LONGBLOB)")
			db := s.DB(b, "bench")
			from := gtidPos(b, db)
			require.NoError(b, w.load(db))
			end := gtidPos(b, db)

			rawHWM := rawPeak(b, s, from, end, w.rows)
			for _, limit := range []string{"", "off"} {
				hwm := tributaryPeak(b, bin, s, from, limit)
				label := w.name
				if limit != "" {
					label += "-GOMEMLIMIT-off"
				}
				b.ReportMetric(float64(hwm)/1024, label+"-MiB")
				b.ReportMetric(float64(hwm)/float64(rawHWM), label+"-ratio-vs-raw")
				b.Logf("%s: peak RSS tributary %.0f MiB (GOMEMLIMIT=%q), go-mysql raw %.0f MiB: ratio %.2f, %.2f of the 256 MiB goal",
					w.name, float64(hwm)/1024, limit, float64(rawHWM)/1024, float64(hwm)/float64(rawHWM), float64(hwm)/1024/256)
			}
			require.NoError(b, s.Stop())
		}
	}
}

// rawPeak streams from..end with bare go-mysql in a child process and
// returns its peak RSS in KiB.
func rawPeak(b *testing.B, s *testenv.Server, from, end string, rows int) int64 {
	raw := exec.Command(os.Args[0])
	raw.Env = append(os.Environ(), "TRIBUTARY_BENCH_CHILD=raw",
		fmt.Sprintf("TRIBUTARY_BENCH_PORT=%d", s.Port), "TRIBUTARY_BENCH_FROM="+from, "TRIBUTARY_BENCH_END="+end)
	out, err := raw.Output()
	require.NoError(b, err)
	var n int
	var hwm int64
	_, err = fmt.Sscan(strings.TrimSpace(string(out)), &n, &hwm)
	require.NoError(b, err)
	require.Equal(b, rows, n)
	return hwm
}

// tributaryPeak runs tributary from the GTID position from until it has
// caught up and returns its peak RSS in KiB.
func tributaryPeak(b *testing.B, bin string, s *testenv.Server, from, memLimit string) int64 {
	dir := b.TempDir()
	cfg := writeConfig(b, dir, s, os.DevNull, "500ms")
	set := exec.Command(bin, "checkpoint", "set", "--config", cfg, "--source", "bench", "--gtid", from)
	out, err := set.CombinedOutput()
	require.NoError(b, err, "%s", out)
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Env = os.Environ()
	if memLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+memLimit)
	}
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	require.NoError(b, waitCaughtUp(bin, cfg, 10*time.Minute))
	hwm, err := procStatus(cmd.Process.Pid, "VmHWM")
	require.NoError(b, err)
	require.NoError(b, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(b, cmd.Wait())
	return hwm
}
