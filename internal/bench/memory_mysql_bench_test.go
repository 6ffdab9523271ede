package bench

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkMemoryMySQLSink measures the peak RSS of tributary draining one
// 500,000-row transaction into a MySQL target, as shipped (the 128 MiB
// soft memory limit, the sink's default queue room). Goal: under 128 MiB.
// With TRIBUTARY_BENCH_BASELINE naming another tributary binary, that one
// is measured too.
func BenchmarkMemoryMySQLSink(b *testing.B) {
	const rows = 500_000
	bins := binaries(b)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
		prepareTable(b, src, 0, false, false)
		db := src.DB(b, "bench")
		from := gtidPos(b, db)
		_, err := db.Exec(sbtestFill(1, rows, false))
		require.NoError(b, err)
		to := gtidPos(b, db)
		for j, bin := range bins {
			target := testenv.StartT(b, testenv.Options{ServerID: 2})
			prepareTable(b, target, 0, false, false)
			st := tributaryDrainStats(b, bin, src, target, from, to, rows, "", nil)
			took, hwm := st.took, st.hwm
			requireSameTable(b, src, target, "tributary target")
			require.NoError(b, target.Stop())
			label := "tributary"
			if j > 0 {
				label = "baseline"
			}
			b.ReportMetric(float64(hwm)/1024, label+"-peak-MiB")
			b.ReportMetric(rows/took.Seconds(), label+"-rows/s")
			b.Logf("%s: one %d-row transaction drained in %.1fs (%.0f rows/s), peak RSS %.1f MiB (goal < 128)",
				bin, rows, took.Seconds(), rows/took.Seconds(), float64(hwm)/1024)
		}
		require.NoError(b, src.Stop())
	}
}

// BenchmarkMemoryMySQLSinkLOBs measures the peak RSS of tributary draining
// three 64 MiB LOB rows, once as LONGBLOB and once as LONGTEXT, into a
// MySQL target, as shipped. The MySQL driver writes each such row as a
// statement of its own (a copy of the value, and of the statement on its
// way out), so it needs more than the discarding sink of BenchmarkMemory;
// the figures are reported against that benchmark's 256 MiB goal. With
// TRIBUTARY_BENCH_BASELINE naming another tributary binary, that one is
// measured too.
func BenchmarkMemoryMySQLSinkLOBs(b *testing.B) {
	bins := binaries(b)
	for i := 0; i < b.N; i++ {
		for _, typ := range []string{"LONGBLOB", "LONGTEXT"} {
			src := testenv.StartT(b, testenv.Options{ServerID: 1})
			src.Exec(b, "CREATE DATABASE bench", "CREATE TABLE bench.sbtest1 (id INT PRIMARY KEY, data "+typ+")")
			db := src.DB(b, "bench")
			from := gtidPos(b, db)
			for id := 1; id <= 3; id++ {
				_, err := db.Exec("INSERT INTO sbtest1 VALUES (?, REPEAT('x', 64 * 1024 * 1024))", id)
				require.NoError(b, err)
			}
			to := gtidPos(b, db)
			for j, bin := range bins {
				target := testenv.StartT(b, testenv.Options{ServerID: 2})
				target.Exec(b, "CREATE DATABASE bench", "CREATE TABLE bench.sbtest1 (id INT PRIMARY KEY, data "+typ+")")
				st := tributaryDrainStats(b, bin, src, target, from, to, 3, "", nil)
				var same int
				require.NoError(b, target.DB(b, "").QueryRow(
					"SELECT COUNT(*) FROM bench.sbtest1 WHERE data = REPEAT('x', 64 * 1024 * 1024)").Scan(&same))
				require.Equal(b, 3, same, "the LOBs arrive whole")
				require.NoError(b, target.Stop())
				label := "tributary"
				if j > 0 {
					label = "baseline"
				}
				label += "-" + typ
				b.ReportMetric(float64(st.hwm)/1024, label+"-peak-MiB")
				b.Logf("%s: three 64 MiB %s rows drained in %.1fs, peak RSS %.0f MiB, %.2f of 256 MiB",
					bin, typ, st.took.Seconds(), float64(st.hwm)/1024, float64(st.hwm)/1024/256)
			}
			require.NoError(b, src.Stop())
		}
	}
}

// binaries returns the tributary built from this tree, then the binary
// TRIBUTARY_BENCH_BASELINE names, if any.
func binaries(b *testing.B) []string {
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	bins := []string{bin}
	if base := os.Getenv("TRIBUTARY_BENCH_BASELINE"); base != "" {
		bins = append(bins, base)
	}
	return bins
}
