package mysql

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestValuesArriveExactly(t *testing.T) {
	tg := startTarget(t, `CREATE TABLE tgt.v (
		id BIGINT UNSIGNED PRIMARY KEY, i BIGINT, f FLOAT, d DOUBLE, dec_ DECIMAL(30,10),
		dt DATETIME(6), ts TIMESTAMP(6) NULL, dz DATE, tm TIME(3), j JSON, e ENUM('a','b c'), s SET('x','y','z'),
		bt BIT(12), bn BINARY(4), vb VARBINARY(10), txt TEXT, nul VARCHAR(5) NULL, emp VARCHAR(5) NULL, y YEAR)`)
	v := table("v", "id")
	cols := []string{"id", "i", "f", "d", "dec_", "dt", "ts", "dz", "tm", "j", "e", "s", "bt", "bn", "vb", "txt", "nul", "emp", "y"}
	vals := []change.Value{uint64(18446744073709551615), int64(-9223372036854775808), float32(0.1), 1.0 / 3,
		change.Decimal("-12345678901234567890.0123456789"), change.Temporal("2026-03-29 02:30:00.000001"),
		change.Temporal("2026-03-29 01:30:00.999999"), change.Temporal("0000-00-00"), change.Temporal("-838:59:59.000"),
		change.JSON(`{"k": [1, "ü", null]}`), "b c", "x,z", uint64(0xABC), []byte{'a', 0, 0, 0}, []byte{0xff, 0},
		"héllo 😀", nil, "", int64(2026)}
	s := tg.sink(t, Options{})
	applyAll(t, s, txn(1, upsert(v, cols, vals...)))
	got := tg.dump(t, `SELECT id, i, f, d, dec_, dt, ts, dz, tm, j, e, s, bt+0, HEX(bn), HEX(vb), txt, nul, emp = '', y FROM v`)
	require.Equal(t, []string{"18446744073709551615|-9223372036854775808|0.1|0.3333333333333333|-12345678901234567890.0123456789|" +
		"2026-03-29 02:30:00.000001|2026-03-29 01:30:00.999999|0000-00-00|-838:59:59.000|" +
		`{"k": [1, "ü", null]}|b c|x,z|2748|61000000|FF00|héllo 😀|NULL|1|2026`}, got)
	var tz string
	require.NoError(t, tg.db.QueryRow("SELECT UNIX_TIMESTAMP(ts) FROM v").Scan(&tz))
	require.Equal(t, "1774747800.999999", tz, "TIMESTAMP is written as UTC")
}
