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
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	bins := []string{bin}
	if base := os.Getenv("TRIBUTARY_BENCH_BASELINE"); base != "" {
		bins = append(bins, base)
	}
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
