package verify_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// runWith verifies targets of set on the pair with opts' other fields.
func (p *pair) runWith(t *testing.T, set *mapping.Set, targets []string, opts verify.Options) *verify.Report {
	t.Helper()
	opts.Set, opts.Targets = set, targets
	opts.Sources = map[string]string{"src": p.source.DSN("root", "", "")}
	opts.TargetDSN = p.target.DSN("root", "", "")
	if opts.ChunkRows == 0 {
		opts.ChunkRows = 200
	}
	if opts.ChecksumRows == 0 {
		opts.ChecksumRows = 500
	}
	opts.Settle = 300 * time.Millisecond
	rep, err := verify.Run(t.Context(), opts)
	require.NoError(t, err)
	return rep
}

// mappingByTarget returns the report of target.
func mappingByTarget(t *testing.T, rep *verify.Report, target string) *verify.MappingReport {
	t.Helper()
	for _, m := range rep.Mappings {
		if m.Target == target {
			return m
		}
	}
	t.Fatalf("no report for %s", target)
	return nil
}

// TestFastPathFindsTheRowDifferences: a plain projection keyed by an
// integer is compared by chunk checksums, and a chunk that differs row by
// row, so the checksum path finds exactly what the row path finds: a
// changed column, NULL, ” and 'NULL' swapped, deleted rows, extra rows
// inside the key range, before the first source key and after the last.
func TestFastPathFindsTheRowDifferences(t *testing.T) {
	p := startPair(t)
	targets := []string{"shop.items", "shop.codes"}
	rep := p.runWith(t, p.set, targets, verify.Options{})
	items := mappingByTarget(t, rep, "shop.items")
	require.Equal(t, verify.PathChecksum, items.Path)
	require.Equal(t, 2594, items.Compared)
	require.Equal(t, 6, items.Chunks, "2594 rows in chunks of 500")
	require.Zero(t, items.ChunksDiffering)
	require.True(t, items.ExtraChecked)
	require.Zero(t, rep.Differences())
	codes := mappingByTarget(t, rep, "shop.codes")
	require.Equal(t, verify.PathRows, codes.Path, "a string key is compared row by row")
	require.Contains(t, codes.PathNote, "integer")
	require.Len(t, rep.Sources, 1)
	require.Equal(t, "src", rep.Sources[0].Source)
	require.GreaterOrEqual(t, rep.Sources[0].Rows, int64(2594+3))
	require.Positive(t, rep.Sources[0].Queries)

	p.target.Exec(t,
		"UPDATE shop.items SET name = '' WHERE id = 1",
		"UPDATE shop.items SET name = NULL WHERE id = 2",
		"UPDATE shop.items SET name = 'NULL' WHERE id = 4",
		"UPDATE shop.items SET tag = NULL WHERE id = 2", // 'a' -> NULL
		"DELETE FROM shop.items WHERE id IN (10, 1500)",
		"UPDATE shop.items SET price = price + 0.01 WHERE id = 2000",
		"UPDATE shop.items SET at = '2026-02-03 04:05:06.000002' WHERE id = 1200",
		"INSERT INTO shop.items VALUES (5, 'inside', 1, NULL, NULL, NULL), (-7, 'before', 1, NULL, NULL, NULL), "+
			"(0, 'before', 1, NULL, NULL, NULL), (9000, 'after', 1, NULL, NULL, NULL)",
	)
	want := []string{
		"shop.items different 1 [name]",
		"shop.items different 1200 [at]",
		"shop.items different 2 [name tag]",
		"shop.items different 2000 [price]",
		"shop.items different 4 [name]",
		"shop.items extra -7 []",
		"shop.items extra 0 []",
		"shop.items extra 5 []",
		"shop.items extra 9000 []",
		"shop.items missing 10 []",
		"shop.items missing 1500 []",
	}
	fast := p.runWith(t, p.set, []string{"shop.items"}, verify.Options{})
	require.Equal(t, want, found(fast))
	items = fast.Mappings[0]
	require.Equal(t, verify.PathChecksum, items.Path)
	require.Equal(t, 4, items.ChunksDiffering, "the first chunk, the one of 1200 and 1500, the one of 2000, and the last")
	require.True(t, items.ExtraChecked)

	slow := p.runWith(t, p.set, []string{"shop.items"}, verify.Options{NoFastPath: true})
	require.Equal(t, want, found(slow))
	require.Equal(t, verify.PathRows, slow.Mappings[0].Path)
	require.Contains(t, slow.Mappings[0].PathNote, "turned off")
	require.Equal(t, items.Compared, slow.Mappings[0].Compared)
}

// TestFastPathSeesRowsChangedAlike: two rows set to one new value, and two
// values swapped between rows, change texts of one length by the same
// bytes at the same places, which an XOR of linear hashes (CRCs) cancels
// out; the fast path finds them.
func TestFastPathSeesRowsChangedAlike(t *testing.T) {
	p := startPair(t)
	for _, srv := range []*testenv.Server{p.source, p.target} {
		srv.Exec(t, "UPDATE shop.items SET name = 'hello' WHERE id IN (301, 302)")
	}
	rep := p.runWith(t, p.set, []string{"shop.items"}, verify.Options{})
	require.Zero(t, rep.Differences())
	p.target.Exec(t,
		"UPDATE shop.items SET name = 'WORLD' WHERE id IN (301, 302)",
		"UPDATE shop.items SET price = CASE id WHEN 303 THEN 304.25 ELSE 303.25 END WHERE id IN (303, 304)")
	want := []string{
		"shop.items different 301 [name]",
		"shop.items different 302 [name]",
		"shop.items different 303 [price]",
		"shop.items different 304 [price]",
	}
	rep = p.runWith(t, p.set, []string{"shop.items"}, verify.Options{})
	require.Equal(t, verify.PathChecksum, rep.Mappings[0].Path)
	require.Equal(t, want, found(rep))
	require.Equal(t, 1, rep.Mappings[0].ChunksDiffering)
}

// TestFastPathOnlyForPlainProjections: a mapping with a filter, or a
// column whose type prints alike values differently on each side, is
// compared row by row, and says why.
func TestFastPathOnlyForPlainProjections(t *testing.T) {
	p := startPair(t)
	// s and u have character sets CONCAT_WS cannot mix: the text is
	// hashed as bytes.
	const texts = "s VARCHAR(10) CHARACTER SET latin1, u VARCHAR(10) CHARACTER SET sjis, v VARCHAR(10) COLLATE utf8mb4_unicode_ci, doc LONGTEXT CHARACTER SET latin1"
	p.source.Exec(t, "CREATE TABLE shop.widths (id BIGINT UNSIGNED PRIMARY KEY, n INT NOT NULL, "+texts+")",
		"INSERT INTO shop.widths VALUES (1, 3, 'é', 'a#b', 'c', 'x'), (18446744073709551615, 4, 'b', NULL, '', NULL)")
	p.target.Exec(t, "CREATE TABLE shop.widths (id BIGINT UNSIGNED PRIMARY KEY, n DECIMAL(10,2) NOT NULL, "+texts+")",
		"INSERT INTO shop.widths VALUES (1, 3, 'é', 'a#b', 'c', 'x'), (18446744073709551615, 4, 'b', NULL, '', NULL)")
	file := filepath.Join(t.TempDir(), "shop.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`
target: shop.items
key: [id]
sources:
  - source: src
    table: shop.items
    all_columns: true
    filter: "id > 0"
---
target: shop.widths
key: [id]
sources:
  - source: src
    table: shop.widths
    columns: {id: id, n: n, s: s, u: u, v: v, doc: doc}
`), 0o600))
	set, err := mapping.Load([]string{file}, []string{"src"})
	require.NoError(t, err)
	rep := p.runWith(t, set, []string{"shop.items", "shop.widths"}, verify.Options{})
	require.Zero(t, rep.Differences())
	require.Equal(t, verify.PathRows, rep.Mappings[0].Path)
	require.Contains(t, rep.Mappings[0].PathNote, "filter")
	require.Equal(t, 2594, rep.Mappings[0].Compared)
	require.Equal(t, verify.PathRows, rep.Mappings[1].Path)
	require.Contains(t, rep.Mappings[1].PathNote, "column n is int")

	// The same types on both sides: an unsigned key up to its largest
	// value, and latin1 text, compared by checksums.
	p.target.Exec(t, "ALTER TABLE shop.widths MODIFY n INT NOT NULL")
	var log strings.Builder
	rep = p.runWith(t, set, []string{"shop.widths"}, verify.Options{ChecksumRows: 1,
		Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.Contains(t, log.String(), "hashing text as bytes", rep.Mappings[0].PathNote)
	require.Zero(t, rep.Differences())
	require.Equal(t, verify.PathChecksum, rep.Mappings[0].Path)
	require.Equal(t, 2, rep.Mappings[0].Compared)
	// A '#' moved from one text column to the next is a difference.
	p.target.Exec(t, "UPDATE shop.widths SET s = 'e' WHERE id = 1", "UPDATE shop.widths SET n = 5 WHERE id = 18446744073709551615",
		"UPDATE shop.widths SET u = 'a', v = 'b#c' WHERE id = 1")
	rep = p.runWith(t, set, []string{"shop.widths"}, verify.Options{ChecksumRows: 1})
	require.Equal(t, []string{"shop.widths different 1 [s u v]", "shop.widths different 18446744073709551615 [n]"}, found(rep))
	require.Equal(t, verify.PathChecksum, rep.Mappings[0].Path)
	p.target.Exec(t, "UPDATE shop.widths SET s = 'é', u = 'a#', v = 'bc' WHERE id = 1", "UPDATE shop.widths SET n = 4, u = '' WHERE id = 18446744073709551615")
	rep = p.runWith(t, set, []string{"shop.widths"}, verify.Options{ChecksumRows: 1})
	require.Equal(t, []string{"shop.widths different 1 [u v]", "shop.widths different 18446744073709551615 [u]"}, found(rep))
}

// TestVerifyThrottle: a cap on the rows read per second makes verify take
// at least the time the rows are worth, and the report says how long it
// waited and what it read.
func TestVerifyThrottle(t *testing.T) {
	p := startPair(t)
	for _, fast := range []bool{true, false} {
		start := time.Now()
		rep := p.runWith(t, p.set, []string{"shop.items"}, verify.Options{NoFastPath: !fast,
			Throttles: map[string]verify.Throttle{"src": {MaxRowsPerSecond: 2000, MaxThreadsRunning: 1000}}})
		elapsed := time.Since(start)
		require.Zero(t, rep.Differences())
		// 2594 rows at 2000/s: every chunk but the last is paid for
		// before the next one starts.
		require.GreaterOrEqual(t, elapsed, 1200*time.Millisecond, "fast path %v", fast)
		require.Len(t, rep.Sources, 1)
		l := rep.Sources[0]
		require.GreaterOrEqual(t, l.ThrottledSeconds, 0.5, "fast path %v", fast)
		require.GreaterOrEqual(t, l.Rows, int64(2594))
		require.GreaterOrEqual(t, l.Queries, int64(6))
	}
}

// TestKeyIntervalsPageTheTarget: extra rows past the last source key
// fill the last, open, interval: they are read a page at a time, every
// one is found, and a bound on the differences stops there.
func TestKeyIntervalsPageTheTarget(t *testing.T) {
	p := startPair(t)
	p.target.Exec(t, "INSERT INTO shop.items (id, price) SELECT seq, 1 FROM seq.seq_3000_to_5999",
		"INSERT INTO shop.items (id, price) SELECT -seq, 1 FROM seq.seq_1_to_1500")
	for _, fast := range []bool{true, false} {
		rep := p.runWith(t, p.set, []string{"shop.items"}, verify.Options{ChunkRows: 100, NoFastPath: !fast, MaxDifferences: 100_000})
		m := rep.Mappings[0]
		require.Equal(t, 4500, m.Extra, "fast path %v", fast)
		require.Zero(t, m.Missing+m.Different)
		require.True(t, m.ExtraChecked)
		require.Equal(t, 2594, m.Compared)

		rep = p.runWith(t, p.set, []string{"shop.items"}, verify.Options{ChunkRows: 100, NoFastPath: !fast, MaxDifferences: 250})
		m = rep.Mappings[0]
		require.True(t, m.Truncated, "fast path %v", fast)
		require.False(t, m.ExtraChecked)
		require.LessOrEqual(t, m.Extra, 250+3*100, "fast path %v", fast)
		require.GreaterOrEqual(t, m.Extra, 250, "fast path %v", fast)
	}
}

// TestFastPathRowsTooLongToHash: CONCAT_WS gives NULL for a row longer
// than max_allowed_packet, on both sides alike; a chunk holding one is
// compared row by row, so a difference there is still found.
func TestFastPathRowsTooLongToHash(t *testing.T) {
	p := &pair{source: testenv.StartT(t, testenv.Options{ServerID: 1}), target: testenv.StartT(t, testenv.Options{ServerID: 2})}
	for _, x := range []struct {
		s    *testenv.Server
		last string
	}{{p.source, "x"}, {p.target, "y"}} {
		x.s.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.docs (id INT PRIMARY KEY, doc LONGTEXT)",
			"INSERT INTO shop.docs VALUES (1, REPEAT('x', 1500)), (2, 'small'), (3, REPEAT('"+x.last+"', 1500))",
			"SET GLOBAL max_allowed_packet = 1024")
	}
	file := filepath.Join(t.TempDir(), "docs.yaml")
	require.NoError(t, os.WriteFile(file, []byte("target: shop.docs\nkey: [id]\nsources:\n  - source: src\n    table: shop.docs\n    all_columns: true\n"), 0o600))
	set, err := mapping.Load([]string{file}, []string{"src"})
	require.NoError(t, err)
	rep := p.runWith(t, set, []string{"shop.docs"}, verify.Options{ChecksumRows: 2})
	require.Equal(t, []string{"shop.docs different 3 [doc]"}, found(rep))
	require.Equal(t, verify.PathChecksum, rep.Mappings[0].Path)
	require.Equal(t, 2, rep.Mappings[0].ChunksDiffering, "both chunks hold a row too long to hash")
}
