package bench

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkBacklogDrain builds a backlog of sysbench write-only
// transactions on a source and times draining it into a fresh target by
// Tributary, by a single-threaded MariaDB replica and by a replica with
// four optimistic parallel appliers, all loaded with the same initial rows.
// Every server makes its commits durable (see durable). Goals: Tributary
// at least 3.5 times the parallel replica (5 times is the aim), and at most
// 9.35 us of its own CPU per row change (half of what it took before the
// sink's batched hand-off); the target must equal the source.
// With TRIBUTARY_BENCH_BASELINE naming another tributary binary, that one
// drains too, before or after this one in turn. TRIBUTARY_BENCH_NATIVE=0
// leaves out the two replicas, for comparing builds of Tributary only;
// TRIBUTARY_BENCH_TXNS sets the backlog's transactions: 136,000 by
// default, the size the goal was set on (Tributary's start and its last
// checkpoint weigh on a short drain, a replica's START SLAVE does not:
// 30,000 read 2.59 of the parallel replica where 136,000 read 2.86, both
// replicas at the same rate); 30,000 make a quick comparison of builds,
// and TRIBUTARY_BENCH_PPROF's CPU profile (4 s, from the drain's first
// second) needs some 200,000.
func BenchmarkBacklogDrain(b *testing.B) {
	const rows, clients = 100_000, 8
	txns := 136_000
	if n, err := strconv.Atoi(os.Getenv("TRIBUTARY_BENCH_TXNS")); err == nil && n > 0 {
		txns = n
	}
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	baseline := os.Getenv("TRIBUTARY_BENCH_BASELINE")
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, durable(1))
		prepareTable(b, src, rows, false, false)
		from := gtidPos(b, src.DB(b, ""))
		load := writeLoad{Rows: rows, Clients: clients, Txns: txns}.run(b, src)
		to := gtidPos(b, src.DB(b, ""))
		b.Logf("backlog: %d transactions of 4 statements (%s to %s) written in %.1fs, %.0f txn/s",
			load.txns, from, to, load.wall.Seconds(), load.rate())

		changes := float64(4 * load.txns)
		drain := func(bin string) time.Duration {
			target := testenv.StartT(b, durable(2))
			prepareTable(b, target, rows, false, false)
			st := tributaryDrainStats(b, bin, src, target, from, to, rows, "", nil)
			requireSameTable(b, src, target, "tributary target")
			require.NoError(b, target.Stop())
			b.Logf("%s: %.1fs, CPU %.1fs tributary, %.1fs target and %.1fs source (%.1f (goal <= 9.35), %.1f and %.1f us a row change), peak RSS %.0f MiB; %.0f operations a target transaction, %.1f ms each",
				bin, st.took.Seconds(), st.cpu, st.targetCPU, st.sourceCPU, st.cpu/changes*1e6, st.targetCPU/changes*1e6, st.sourceCPU/changes*1e6,
				float64(st.hwm)/1024, st.batchOps, st.applySeconds*1000)
			return st.took
		}
		var ours, base time.Duration
		if baseline != "" && backlogTurn%2 == 1 {
			base = drain(baseline)
		}
		ours = drain(bin)
		if baseline != "" && backlogTurn%2 == 0 {
			base = drain(baseline)
		}
		backlogTurn++
		if os.Getenv("TRIBUTARY_BENCH_NATIVE") == "0" {
			b.Logf("drain of %d txn: tributary %.1fs", load.txns, ours.Seconds())
			require.NoError(b, src.Stop())
			continue
		}

		single := testenv.StartT(b, replicaOptions(3))
		prepareTable(b, single, rows, false, true)
		single1 := nativeDrain(b, src, single, from, to, 0)
		requireSameTable(b, src, single, "single-threaded replica")

		parallel := testenv.StartT(b, replicaOptions(4))
		prepareTable(b, parallel, rows, false, true)
		parallel4 := nativeDrain(b, src, parallel, from, to, 4)
		requireSameTable(b, src, parallel, "parallel replica")
		b.Logf("native replicas: single-threaded %s; parallel %s", single1.cpu(changes), parallel4.cpu(changes))
		native1, nativeP := single1.took, parallel4.took

		n := float64(load.txns)
		ourRate, singleRate, parRate := n/ours.Seconds(), n/native1.Seconds(), n/nativeP.Seconds()
		b.ReportMetric(load.rate(), "source-txn/s")
		b.ReportMetric(ourRate, "tributary-txn/s")
		b.ReportMetric(singleRate, "single-txn/s")
		b.ReportMetric(parRate, "parallel-txn/s")
		b.ReportMetric(ourRate/singleRate, "ratio-vs-single")
		b.ReportMetric(ourRate/parRate, "ratio-vs-parallel")
		b.Logf("drain of %d txn (%d row changes): tributary %.1fs %.0f txn/s; single-threaded replica %.1fs %.0f txn/s; parallel replica (4, optimistic) %.1fs %.0f txn/s; ratios %.2f vs single, %.2f vs parallel (goal >= 3.5); target checksum equals the source",
			load.txns, 4*load.txns, ours.Seconds(), ourRate, native1.Seconds(), singleRate, nativeP.Seconds(), parRate,
			ourRate/singleRate, ourRate/parRate)
		if baseline != "" {
			b.ReportMetric(n/base.Seconds(), "baseline-txn/s")
			b.Logf("baseline %s: %.1fs %.0f txn/s; this build %.2f times its rate", baseline, base.Seconds(), n/base.Seconds(),
				base.Seconds()/ours.Seconds())
		}
		for _, s := range []*testenv.Server{parallel, single, src} {
			require.NoError(b, s.Stop())
		}
	}
}

// backlogTurn alternates the order of the drains by this build and the
// baseline across runs.
var backlogTurn int
