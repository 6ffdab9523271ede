package bench

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkBulkInsertDrain builds an insert-only backlog of 1,000,000 rows
// in 1,000-row INSERT statements and times draining it by Tributary, by a
// single-threaded MariaDB replica and by a replica with four optimistic
// parallel appliers, every server making its commits durable (see
// durable). Goals: Tributary at least 1.5 times the
// single-threaded replica and at least as fast as the parallel one; the
// target must equal the source. It also measures the ceiling of any
// client-side applier: the same rows written by the bare driver. With
// TRIBUTARY_BENCH_BASELINE naming another tributary binary, that one
// drains too, before or after this one in turn, for a comparison on a
// machine whose load varies.
func BenchmarkBulkInsertDrain(b *testing.B) {
	const rows, perStmt = 1_000_000, 1000
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	baseline := os.Getenv("TRIBUTARY_BENCH_BASELINE")
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, durable(1))
		prepareTable(b, src, 0, false, false)
		db := src.DB(b, "bench")
		from := gtidPos(b, db)
		t0 := time.Now()
		for lo := 1; lo <= rows; lo += perStmt {
			_, err := db.Exec(sbtestFill(lo, lo+perStmt-1, false))
			require.NoError(b, err)
		}
		load := time.Since(t0)
		to := gtidPos(b, db)
		b.Logf("backlog: %d rows in %d statements (%s to %s) written in %.1fs", rows, rows/perStmt, from, to, load.Seconds())

		drain := func(bin string) drainStats {
			target := testenv.StartT(b, durable(2))
			prepareTable(b, target, 0, false, false)
			st := tributaryDrainStats(b, bin, src, target, from, to, rows, "", nil)
			requireSameTable(b, src, target, "tributary target")
			require.NoError(b, target.Stop())
			b.Logf("%s: %.1fs, CPU %.1fs tributary, %.1fs target and %.1fs source (%.1f, %.1f and %.1f us a row), peak RSS %.0f MiB; %.0f operations a worker batch, %.0f ms a target transaction",
				bin, st.took.Seconds(), st.cpu, st.targetCPU, st.sourceCPU, st.cpu/rows*1e6, st.targetCPU/rows*1e6, st.sourceCPU/rows*1e6,
				float64(st.hwm)/1024, st.batchOps, st.applySeconds*1000)
			return st
		}
		var oursSt, baseSt drainStats
		if baseline != "" && bulkTurn%2 == 1 {
			baseSt = drain(baseline)
		}
		oursSt = drain(bin)
		if baseline != "" && bulkTurn%2 == 0 {
			baseSt = drain(baseline)
		}
		ours, hwm, base, baseHWM := oursSt.took, oursSt.hwm, baseSt.took, baseSt.hwm
		bulkTurn++

		single := testenv.StartT(b, replicaOptions(3))
		prepareTable(b, single, 0, false, true)
		single1 := nativeDrain(b, src, single, from, to, 0)
		requireSameTable(b, src, single, "single-threaded replica")
		require.NoError(b, single.Stop())

		parallel := testenv.StartT(b, replicaOptions(4))
		prepareTable(b, parallel, 0, false, true)
		parallel4 := nativeDrain(b, src, parallel, from, to, 4)
		requireSameTable(b, src, parallel, "parallel replica")
		require.NoError(b, parallel.Stop())
		b.Logf("native replicas: single-threaded %s; parallel %s", single1.cpu(rows), parallel4.cpu(rows))
		native, nativeP := single1.took, parallel4.took

		bare := testenv.StartT(b, durable(5))
		prepareTable(b, bare, 0, false, true)
		ceiling, ceilingCPU := clientCeiling(b, src, bare, 4)
		requireSameTable(b, src, bare, "driver-only copy")
		require.NoError(b, bare.Stop())

		ourRate, nativeRate, parRate, ceilingRate := rows/ours.Seconds(), rows/native.Seconds(), rows/nativeP.Seconds(), rows/ceiling.Seconds()
		b.ReportMetric(rows/load.Seconds(), "source-rows/s")
		b.ReportMetric(ourRate, "tributary-rows/s")
		b.ReportMetric(float64(hwm)/1024, "tributary-peak-MiB")
		b.ReportMetric(nativeRate, "single-rows/s")
		b.ReportMetric(parRate, "parallel-rows/s")
		b.ReportMetric(ceilingRate, "driver-only-rows/s")
		b.ReportMetric(ourRate/nativeRate, "ratio-vs-single")
		b.ReportMetric(ourRate/parRate, "ratio-vs-parallel")
		b.ReportMetric(ourRate/ceilingRate, "ratio-vs-driver-only")
		b.Logf("drain of %d rows: tributary %.1fs %.0f rows/s, peak RSS %.0f MiB; single-threaded replica %.1fs %.0f rows/s; parallel replica (4, optimistic) %.1fs %.0f rows/s; ratios %.2f vs single (goal >= 1.5), %.2f vs parallel (goal >= 1.0); target checksum equals the source",
			rows, ours.Seconds(), ourRate, float64(hwm)/1024, native.Seconds(), nativeRate, nativeP.Seconds(), parRate, ourRate/nativeRate, ourRate/parRate)
		if baseline != "" {
			b.ReportMetric(rows/base.Seconds(), "baseline-rows/s")
			b.ReportMetric(float64(baseHWM)/1024, "baseline-peak-MiB")
			b.Logf("baseline %s: %.1fs %.0f rows/s, peak RSS %.0f MiB; this build %.2f times its rate",
				baseline, base.Seconds(), rows/base.Seconds(), float64(baseHWM)/1024, base.Seconds()/ours.Seconds())
		}
		b.Logf("driver-only copy of the same rows (4 connections, rows in memory, nothing else running) %.1fs %.0f rows/s, CPU %.1fs target (%.1f us a row): %.2f of the replica, the ceiling of any client-side applier here; tributary reaches %.2f of it",
			ceiling.Seconds(), ceilingRate, ceilingCPU, ceilingCPU/rows*1e6, ceilingRate/nativeRate, ourRate/ceilingRate)
		require.NoError(b, src.Stop())
	}
}

// bulkTurn alternates the order of the drains by this build and the
// baseline across runs.
var bulkTurn int
