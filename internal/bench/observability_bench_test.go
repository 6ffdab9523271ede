package bench

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkObservabilityOverhead drains the same backlog of sysbench
// write-only transactions into fresh targets with the service's
// observability at rest (no heartbeat; its HTTP endpoint answers only the
// drain's own checkpoint polls) and busy (a heartbeat every second on the
// source, and /metrics, /status and the status page fetched every second,
// far more often than a Prometheus scrape), alternating the two three times and
// keeping each one's best. The counters themselves are always on. Goal:
// busy at least 0.97 of at rest.
func BenchmarkObservabilityOverhead(b *testing.B) {
	const rows, txns, clients = 50_000, 120_000, 8
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	for i := 0; i < b.N; i++ {
		src := testenv.StartT(b, testenv.Options{ServerID: 1})
		prepareTable(b, src, rows, false, false)
		from := gtidPos(b, src.DB(b, ""))
		load := writeLoad{Rows: rows, Clients: clients, Txns: txns}.run(b, src)
		to := gtidPos(b, src.DB(b, ""))
		var rest, busy time.Duration
		for round := 0; round < 3; round++ {
			for _, on := range []bool{false, true} {
				target := testenv.StartT(b, testenv.Options{ServerID: 10 + 2*round + boolInt(on)})
				prepareTable(b, target, rows, false, false)
				var took time.Duration
				if on {
					took = tributaryDrainWith(b, bin, src, target, from, to, rows, "    heartbeat_interval: 1s\n", scrape)
					busy = best(busy, took)
				} else {
					took = tributaryDrainWith(b, bin, src, target, from, to, rows, "", nil)
					rest = best(rest, took)
				}
				requireSameTable(b, src, target, "tributary target")
				b.Logf("round %d, observability busy=%v: %.1fs, %.0f txn/s", round+1, on, took.Seconds(), float64(load.txns)/took.Seconds())
				require.NoError(b, target.Stop())
			}
		}
		n := float64(load.txns)
		ratio := rest.Seconds() / busy.Seconds()
		b.ReportMetric(n/rest.Seconds(), "rest-txn/s")
		b.ReportMetric(n/busy.Seconds(), "busy-txn/s")
		b.ReportMetric(ratio, "ratio-busy-vs-rest")
		b.Logf("drain of %d txn: at rest %.0f txn/s, busy (heartbeat 1s, /metrics + /status + / every 1s) %.0f txn/s; ratio %.3f (goal >= 0.97)",
			load.txns, n/rest.Seconds(), n/busy.Seconds(), ratio)
		require.NoError(b, src.Stop())
	}
}

// scrape fetches the metrics, the status and the status page every second
// until ctx ends.
func scrape(ctx context.Context, addr string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for _, path := range []string{"/metrics", "/status", "/"} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
			if err != nil {
				return
			}
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func best(cur, d time.Duration) time.Duration {
	if cur == 0 || d < cur {
		return d
	}
	return cur
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
