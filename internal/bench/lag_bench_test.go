package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkLag measures the replication lag of Tributary streaming live at
// 80% of the highest sustained rate: the rate at which the target has
// committed what eight unpaced source clients wrote for ten seconds. Every written row carries the source's
// NOW(6); triggers on the target record, per applied row, that value and
// the target's SYSDATE(6) (both servers share the clock). Goal: p99 lag
// under one second.
func BenchmarkLag(b *testing.B) {
	const rows, clients = 100_000, 8
	const probe, live = 10 * time.Second, 20 * time.Second
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
		prepareTable(b, src, rows, true, false)
		target := testenv.StartT(b, testenv.Options{ServerID: 2})
		prepareTable(b, target, rows, true, false,
			"CREATE TABLE bench.lag_samples (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL, applied DATETIME(6) NOT NULL)",
			"CREATE TRIGGER bench.sbtest1_ins AFTER INSERT ON bench.sbtest1 FOR EACH ROW INSERT INTO bench.lag_samples (ts, applied) VALUES (NEW.ts, SYSDATE(6))",
			"CREATE TRIGGER bench.sbtest1_upd AFTER UPDATE ON bench.sbtest1 FOR EACH ROW INSERT INTO bench.lag_samples (ts, applied) VALUES (NEW.ts, SYSDATE(6))")

		// The highest sustained rate: what the whole machine (source,
		// Tributary and target share its cores) keeps up with when the
		// source writes as fast as it can, counted until the target has
		// committed it all.
		p := startTributary(b, bin, src, target, gtidPos(b, src.DB(b, "")))
		t0 := time.Now()
		full := writeLoad{Rows: rows, Clients: clients, Duration: probe, WithTS: true}.run(b, src)
		require.NoError(b, waitCheckpointed(p.addr, gtidPos(b, src.DB(b, "")), 10*time.Minute))
		maxRate := float64(full.txns) / time.Since(t0).Seconds()
		rate := 0.8 * maxRate
		_, err := target.DB(b, "").Exec("TRUNCATE bench.lag_samples")
		require.NoError(b, err)

		paced := writeLoad{Rows: rows, Clients: clients, Duration: live, Rate: rate, WithTS: true}.run(b, src)
		end := gtidPos(b, src.DB(b, ""))
		require.NoError(b, waitCheckpointed(p.addr, end, 10*time.Minute))
		require.NoError(b, p.stop())
		requireSameTable(b, src, target, "tributary target")

		lags := lagSamples(b, target)
		require.NotEmpty(b, lags)
		p50, p99, worst := quantile(lags, 0.50), quantile(lags, 0.99), lags[len(lags)-1]
		b.ReportMetric(paced.rate(), "txn/s")
		b.ReportMetric(p50.Seconds()*1000, "p50-lag-ms")
		b.ReportMetric(p99.Seconds()*1000, "p99-lag-ms")
		b.ReportMetric(worst.Seconds()*1000, "max-lag-ms")
		b.ReportMetric(p99.Seconds(), "p99-ratio-vs-1s")
		b.Logf("highest sustained rate %.0f txn/s (the source committed %.0f txn/s meanwhile); paced at %.0f txn/s, committed %.0f txn/s for %.0fs; lag over %d applied rows: p50 %s, p99 %s, max %s; p99/1s %.2f (goal < 1)",
			maxRate, full.rate(), rate, paced.rate(), paced.wall.Seconds(), len(lags),
			p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond), p99.Seconds())
		require.NoError(b, target.Stop())
		require.NoError(b, src.Stop())
	}
}

// lagSamples returns, sorted, applied minus ts of every row the target's
// triggers recorded.
func lagSamples(b *testing.B, target *testenv.Server) []time.Duration {
	rows, err := target.DB(b, "").Query("SELECT TIMESTAMPDIFF(MICROSECOND, ts, applied) FROM bench.lag_samples")
	require.NoError(b, err)
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var us int64
		require.NoError(b, rows.Scan(&us))
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	require.NoError(b, rows.Err())
	slices.Sort(out)
	return out
}

// quantile returns the q-quantile of sorted samples by nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
