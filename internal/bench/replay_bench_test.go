package bench

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkReplay writes a window of 125,000 row changes (100,000 rows
// inserted in 1,000-row statements, 20,000 of them updated and 5,000
// deleted, likewise) and times, in the same run, the live stream draining
// that window into an empty MariaDB target (from the process start until
// the checkpoint passed the window), then `tributary replay` of the same
// window into the same target emptied again, with the service streaming
// from the window's end: the window read by a reader of its own, then its
// 100,000 rows read again from the source between watermarks and merged
// into the stream. It reports both rates in row changes per second, and
// their ratio; the replayed target must equal the source.
func BenchmarkReplay(b *testing.B) {
	const inserts, updates, deletes, perStmt = 100_000, 20_000, 5_000, 1000
	const changes = inserts + updates + deletes
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
		prepareTable(b, src, 0, false, false)
		db := src.DB(b, "bench")
		from := gtidPos(b, db)
		for lo := 1; lo <= inserts; lo += perStmt {
			_, err := db.Exec(sbtestFill(lo, lo+perStmt-1, false))
			require.NoError(b, err)
		}
		for lo := 1; lo <= updates; lo += perStmt {
			_, err := db.Exec("UPDATE bench.sbtest1 SET k = k + 1, c = REVERSE(c) WHERE id BETWEEN ? AND ?", lo, lo+perStmt-1)
			require.NoError(b, err)
		}
		for lo := inserts - deletes + 1; lo <= inserts; lo += perStmt {
			_, err := db.Exec("DELETE FROM bench.sbtest1 WHERE id BETWEEN ? AND ?", lo, lo+perStmt-1)
			require.NoError(b, err)
		}
		to := gtidPos(b, db)
		b.Logf("window: %d row changes (%s to %s)", changes, from, to)

		target := testenv.StartT(b, testenv.Options{ServerID: 2})
		prepareTable(b, target, 0, false, false)
		drain := tributaryDrain(b, bin, src, target, from, to, inserts-deletes)
		requireSameTable(b, src, target, "live drain")

		_, err := target.DB(b, "").Exec("TRUNCATE TABLE bench.sbtest1")
		require.NoError(b, err)
		p := startTributary(b, bin, src, target, to)
		require.NoError(b, waitCheckpointed(p.addr, to, time.Minute))
		t0 := time.Now()
		out, err := exec.Command(bin, "replay", "--config", p.cfg, "--source", "bench", "--from", from, "--to", to,
			"--sink", "target").CombinedOutput()
		replay := time.Since(t0)
		require.NoError(b, err, "%s", out)
		b.Logf("replay:\n%s", out)
		requireSameTable(b, src, target, "replayed target")
		require.NoError(b, p.stop())

		drainRate, replayRate := changes/drain.Seconds(), changes/replay.Seconds()
		b.ReportMetric(drainRate, "drain-changes/s")
		b.ReportMetric(replayRate, "replay-changes/s")
		b.ReportMetric(replayRate/drainRate, "ratio-vs-drain")
		b.Logf("window of %d row changes touching %d rows: live drain %.1fs %.0f changes/s; replay %.1fs %.0f changes/s; ratio %.2f",
			changes, inserts, drain.Seconds(), drainRate, replay.Seconds(), replayRate, replayRate/drainRate)
	}
}
