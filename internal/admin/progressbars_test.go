package admin

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/backfill"
)

// ansi matches the terminal control sequences of a frame.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func TestProgressBarsFollowSnapshots(t *testing.T) {
	var out bytes.Buffer
	tables := []tableRef{{"alpha", "app.orders"}, {"alpha", "app.users"}, {"beta", "shop.items"}}
	pb := newProgressBars(&out, tables, 100, false)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	snap := func(orders, users, items backfill.TableStatus) map[string][]backfill.TableStatus {
		orders.Table, users.Table, items.Table = "app.orders", "app.users", "shop.items"
		return map[string][]backfill.TableStatus{"alpha": {orders, users}, "beta": {items}}
	}
	steps := []struct {
		snap map[string][]backfill.TableStatus
		done bool
		want []string
	}{
		{snap(backfill.TableStatus{Rows: 0, Estimate: 4000}, backfill.TableStatus{Rows: 0, Estimate: 500},
			backfill.TableStatus{Rows: 0}), false,
			[]string{"alpha", "app.orders", "0 / 4000 rows 0%", "- rows/s", "ETA -", "0 / 500 rows 0%", "shop.items", "0 rows"}},
		{snap(backfill.TableStatus{Rows: 1000, Estimate: 4000}, backfill.TableStatus{Rows: 500, Estimate: 500},
			backfill.TableStatus{Rows: 300}), false,
			[]string{"1000 / 4000 rows 25%", "1000 rows/s", "ETA 3s", "500 / 500 rows 99%", "500 rows/s", "ETA 0s",
				"300 rows", "300 rows/s", "ETA -"}},
		{snap(backfill.TableStatus{Rows: 2000, Estimate: 4000}, backfill.TableStatus{Rows: 520, Estimate: 500, Done: true},
			backfill.TableStatus{Rows: 600}), false,
			// 0.3 of this second's 1000 rows/s and 0.7 of the last rate.
			[]string{"2000 / 4000 rows 50%", "1000 rows/s", "ETA 2s", "520 rows 100%", "done", "300 rows/s"}},
		{snap(backfill.TableStatus{Rows: 4100, Estimate: 4000, Done: true}, backfill.TableStatus{Rows: 520, Estimate: 500, Done: true},
			backfill.TableStatus{Rows: 900, Done: true}), true,
			[]string{"4100 rows 100%", "900 rows 100%"}},
	}
	for i, s := range steps {
		out.Reset()
		at = at.Add(time.Second)
		require.Equal(t, s.done, pb.Update(s.snap, at), "step %d", i)
		if s.done {
			pb.Stop()
		}
		frame := ansi.ReplaceAllString(out.String(), "")
		for _, want := range s.want {
			require.Contains(t, frame, want, "step %d:\n%s", i, frame)
		}
	}
	// Every bar is one line of the frame, in the order asked (the last
	// frame may be drawn twice: on the last bar's completion and on
	// shutdown).
	lines := strings.Split(strings.TrimSpace(ansi.ReplaceAllString(out.String(), "")), "\n")
	require.Zero(t, len(lines)%3, "%q", lines)
	lines = lines[len(lines)-3:]
	for i, table := range []string{"alpha app.orders", "alpha app.users ", "beta  shop.items"} {
		require.True(t, strings.HasPrefix(lines[i], table), "%q", lines[i])
	}
}

// Stopped before the end, the bars keep what they showed.
func TestProgressBarsStopEarly(t *testing.T) {
	var out bytes.Buffer
	pb := newProgressBars(&out, []tableRef{{"alpha", "app.t"}}, 80, false)
	require.False(t, pb.Update(map[string][]backfill.TableStatus{"alpha": {{Table: "app.t", Rows: 10, Estimate: 40}}}, time.Now()))
	out.Reset()
	pb.Stop()
	require.Contains(t, ansi.ReplaceAllString(out.String(), ""), "10 / 40 rows 25%")
}

func TestRateAndETA(t *testing.T) {
	tb := &tableBar{rate: -1}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tb.observe(0, at)
	require.Equal(t, "- rows/s", rateText(tb.smoothedRate()))
	require.Equal(t, "ETA -", etaText(0, 100, tb.smoothedRate()))
	tb.observe(100, at.Add(2*time.Second))
	require.Equal(t, "50 rows/s", rateText(tb.smoothedRate()))
	tb.observe(300, at.Add(3*time.Second))
	require.InDelta(t, 0.3*200+0.7*50, tb.smoothedRate(), 1e-9)
	require.Equal(t, "ETA 1m15s", etaText(300, 7800, 100))
	require.Equal(t, "ETA 0s", etaText(120, 100, 100))
	require.Equal(t, "ETA -", etaText(0, 100, 0))
	require.Equal(t, "ETA -", etaText(0, 0, 10))
}

func TestPercentText(t *testing.T) {
	for _, tc := range []struct {
		rows, estimate uint64
		done           bool
		want           string
	}{
		{0, 0, false, "-"}, {5, 0, true, "100%"}, {50, 200, false, "25%"}, {300, 200, false, "99%"}, {199, 200, false, "99%"},
		{200, 200, true, "100%"},
	} {
		require.Equal(t, tc.want, percentText(tc.rows, tc.estimate, tc.done), "%+v", tc)
	}
}
