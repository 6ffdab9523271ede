package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkDecodeThroughput compares the reader with a discarding consumer
// against go-mysql's bare event stream over the same binlog: 400,000 rows of
// a typical mixed-type table in 1,000-row transactions.
func BenchmarkDecodeThroughput(b *testing.B) {
	const rows, perTxn = 400_000, 1000
	s := testenv.StartT(b, testenv.Options{ServerID: 1})
	s.Exec(b, "CREATE DATABASE bench", `CREATE TABLE bench.items (
		id BIGINT UNSIGNED PRIMARY KEY, n INT, name VARCHAR(64), price DECIMAL(12,2),
		at DATETIME(6), body TEXT, score DOUBLE, flag TINYINT UNSIGNED, state ENUM('a','b','c'))`)
	db := s.DB(b, "bench")
	from := gtidPos(b, db)
	for lo := 1; lo <= rows; lo += perTxn {
		_, err := db.Exec(fmt.Sprintf(`INSERT INTO bench.items
			SELECT seq, seq %% 1000, CONCAT('item-', seq), seq / 7, '2026-11-22 10:00:00.123456' + INTERVAL seq SECOND,
			REPEAT('lorem ipsum ', 8), seq / 3, seq %% 256, ELT(1 + seq %% 3, 'a', 'b', 'c')
			FROM seq_%d_to_%d`, lo, lo+perTxn-1))
		require.NoError(b, err)
	}
	end := gtidPos(b, db)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		n, err := rawRows(b.Context(), s, 9100, from, end)
		require.NoError(b, err)
		require.Equal(b, rows, n)
		raw := time.Since(t0)

		t0 = time.Now()
		n, err = readerRows(b.Context(), s, 9101, from, end)
		require.NoError(b, err)
		require.Equal(b, rows, n)
		ours := time.Since(t0)

		rawRate, ourRate := float64(rows)/raw.Seconds(), float64(rows)/ours.Seconds()
		b.ReportMetric(rawRate, "raw-rows/s")
		b.ReportMetric(ourRate, "reader-rows/s")
		b.ReportMetric(ourRate/rawRate, "ratio-vs-raw")
		b.Logf("go-mysql raw: %.0f rows/s; reader: %.0f rows/s; ratio %.2f (goal >= 0.5)", rawRate, ourRate, ourRate/rawRate)
	}
}

// BenchmarkDecodeSmallTransactions is BenchmarkDecodeThroughput over
// sysbench write-only transactions of four row changes each, where the
// reader's cost per transaction (its objects, its hand-off) weighs most.
// Goal: at least 0.7 of the bare stream.
func BenchmarkDecodeSmallTransactions(b *testing.B) {
	const rows, txns = 50_000, 40_000
	s := testenv.StartT(b, testenv.Options{ServerID: 1})
	prepareTable(b, s, rows, false, false)
	db := s.DB(b, "")
	from := gtidPos(b, db)
	load := writeLoad{Rows: rows, Clients: 8, Txns: txns}.run(b, s)
	end := gtidPos(b, db)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		raw, err := rawRows(b.Context(), s, 9100, from, end)
		require.NoError(b, err)
		rawTook := time.Since(t0)

		t0 = time.Now()
		n, err := readerRows(b.Context(), s, 9101, from, end)
		require.NoError(b, err)
		ours := time.Since(t0)
		// The bare stream counts an update's two images as two rows.
		require.Equal(b, raw, n+2*load.txns, "row images read: %d raw, %d changes", raw, n)

		rawRate, ourRate := float64(load.txns)/rawTook.Seconds(), float64(load.txns)/ours.Seconds()
		b.ReportMetric(rawRate, "raw-txn/s")
		b.ReportMetric(ourRate, "reader-txn/s")
		b.ReportMetric(ourRate/rawRate, "ratio-vs-raw")
		b.Logf("%d transactions, %d row changes: go-mysql raw %.0f txn/s; reader %.0f txn/s; ratio %.2f (goal >= 0.7)",
			load.txns, n, rawRate, ourRate, ourRate/rawRate)
	}
}
