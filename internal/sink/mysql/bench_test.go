package mysql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// BenchmarkApplyBulk applies 200k single-row upserts into a 5-column table
// through the sink and, in the same run, as plain sequential autocommit
// INSERT ... ON DUPLICATE KEY UPDATE statements; it reports both rates and
// their ratio. Run it with -benchtime=1x.
func BenchmarkApplyBulk(b *testing.B) {
	const rows = 200_000
	tg := startTarget(b, "CREATE TABLE tgt.bulk (id BIGINT PRIMARY KEY, a INT, b VARCHAR(40), c DECIMAL(12,2), d DATETIME(6))",
		"CREATE TABLE tgt.base LIKE tgt.bulk")
	bulk := table("bulk", "id")
	cols := []string{"id", "a", "b", "c", "d"}
	parts := make([]*change.Txn, rows)
	for i := range rows {
		parts[i] = txn(uint64(i+1), upsert(bulk, cols, int64(i), int64(i%1000), fmt.Sprintf("name-%d", i),
			change.Decimal(fmt.Sprintf("%d.25", i)), change.Temporal("2026-01-02 03:04:05.123456")))
	}
	s := tg.sink(b, Options{})
	ctx := context.Background()
	var sinkRate, baseRate float64
	for b.Loop() {
		start := time.Now()
		for _, p := range parts {
			require.NoError(b, s.Apply(ctx, p))
		}
		require.NoError(b, s.Flush(ctx))
		sinkRate = rows / time.Since(start).Seconds()

		b.StopTimer()
		start = time.Now()
		for i := range rows {
			_, err := tg.db.Exec("INSERT INTO base (id,a,b,c,d) VALUES (?,?,?,?,?) ON DUPLICATE KEY UPDATE a=VALUES(a),b=VALUES(b),c=VALUES(c),d=VALUES(d)",
				int64(i), int64(i%1000), fmt.Sprintf("name-%d", i), fmt.Sprintf("%d.25", i), "2026-01-02 03:04:05.123456")
			require.NoError(b, err)
		}
		baseRate = rows / time.Since(start).Seconds()
		b.StartTimer()
	}
	b.ReportMetric(sinkRate, "rows/s")
	b.ReportMetric(baseRate, "baseline-rows/s")
	b.ReportMetric(sinkRate/baseRate, "ratio")
}
