package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkBulkInsertDrain builds an insert-only backlog of 1,000,000 rows
// in 1,000-row INSERT statements and times draining it by Tributary and by
// a single-threaded MariaDB replica. Goal: Tributary at least 1.5 times the
// replica; the target must equal the source. It also measures the ceiling
// of any client-side applier: the same rows written by the bare driver.
func BenchmarkBulkInsertDrain(b *testing.B) {
	const rows, perStmt = 1_000_000, 1000
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
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

		target := testenv.StartT(b, testenv.Options{ServerID: 2})
		prepareTable(b, target, 0, false, false)
		ours := tributaryDrain(b, bin, src, target, from, to, rows)
		requireSameTable(b, src, target, "tributary target")

		single := testenv.StartT(b, replicaOptions(3))
		prepareTable(b, single, 0, false, true)
		native := nativeDrain(b, src, single, from, to, 0)
		requireSameTable(b, src, single, "single-threaded replica")

		bare := testenv.StartT(b, testenv.Options{ServerID: 4})
		prepareTable(b, bare, 0, false, true)
		ceiling := clientCeiling(b, src, bare, 4)
		requireSameTable(b, src, bare, "driver-only copy")

		ourRate, nativeRate, ceilingRate := rows/ours.Seconds(), rows/native.Seconds(), rows/ceiling.Seconds()
		b.ReportMetric(rows/load.Seconds(), "source-rows/s")
		b.ReportMetric(ourRate, "tributary-rows/s")
		b.ReportMetric(nativeRate, "single-rows/s")
		b.ReportMetric(ceilingRate, "driver-only-rows/s")
		b.ReportMetric(ourRate/nativeRate, "ratio-vs-single")
		b.ReportMetric(ourRate/ceilingRate, "ratio-vs-driver-only")
		b.Logf("drain of %d rows: tributary %.1fs %.0f rows/s; single-threaded replica %.1fs %.0f rows/s; ratio %.2f (goal >= 1.5); target checksum equals the source",
			rows, ours.Seconds(), ourRate, native.Seconds(), nativeRate, ourRate/nativeRate)
		b.Logf("driver-only copy of the same rows (4 connections, rows in memory, nothing else running) %.1fs %.0f rows/s: %.2f of the replica, the ceiling of any client-side applier here; tributary reaches %.2f of it",
			ceiling.Seconds(), ceilingRate, ceilingRate/nativeRate, ourRate/ceilingRate)
		for _, s := range []*testenv.Server{bare, single, target, src} {
			require.NoError(b, s.Stop())
		}
	}
}
