package mysql

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// valuesDDL has a column of every type the sink writes.
const valuesDDL = `(
	id BIGINT UNSIGNED PRIMARY KEY, i BIGINT, f FLOAT, d DOUBLE, dec_ DECIMAL(30,10),
	dt DATETIME(6), ts TIMESTAMP(6) NULL, dz DATE, tm TIME(3), j JSON, e ENUM('a','b c'), s SET('x','y','z'),
	bt BIT(12), bn BINARY(4), vb VARBINARY(10), txt TEXT, nul VARCHAR(5) NULL, emp VARCHAR(5) NULL, y YEAR,
	ti TINYINT, tu TINYINT UNSIGNED, mi MEDIUMINT, dt0 DATETIME, ch CHAR(4), vs VARCHAR(8), bl BLOB,
	l1 VARCHAR(8) CHARACTER SET latin1, lb VARCHAR(8) CHARACTER SET latin1, dsm DECIMAL(5,2))`

var valuesCols = []string{"id", "i", "f", "d", "dec_", "dt", "ts", "dz", "tm", "j", "e", "s", "bt", "bn", "vb", "txt",
	"nul", "emp", "y", "ti", "tu", "mi", "dt0", "ch", "vs", "bl", "l1", "lb", "dsm"}

const valuesQuery = `SELECT id, i, f, d, dec_, dt, ts, dz, tm, j, e, s, bt+0, HEX(bn), HEX(vb), txt, nul, emp = '', y,
	ti, tu, mi, dt0, CONCAT('[', ch, ']'), CONCAT('[', vs, ']'), HEX(bl), l1, HEX(lb), dsm FROM %s ORDER BY id`

// valuesRows are rows of every type with their extremes, and the dump of
// each as valuesQuery reads it back, in key order.
var valuesRows = []struct {
	vals []change.Value
	want string
}{
	{[]change.Value{uint64(0), int64(9223372036854775807), float32(math.MaxFloat32), math.SmallestNonzeroFloat64,
		change.Decimal("0.0000000001"), change.Temporal("9999-12-31 23:59:59.999999"), nil,
		change.Temporal("1000-01-01"), change.Temporal("838:59:59.999"), change.JSON(`"a\"b"`), "a", "",
		uint64(0), []byte{}, []byte{}, "", "", nil, nil, int64(127), uint64(0), int64(8388607),
		change.Temporal("2026-02-03 04:05:06"), "", "", nil, "", nil, change.Decimal("999.99")},
		"0|9223372036854775807|3.40282e+38|5e-324|0.0000000001|9999-12-31 23:59:59.999999|NULL|1000-01-01|838:59:59.999|" +
			`"a\"b"|a||0|00000000||||NULL|NULL|127|0|8388607|2026-02-03 04:05:06|[]|[]|NULL||NULL|999.99`},
	{[]change.Value{uint64(1), nil, float32(0), -1e308, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		"1|NULL|0|-1e+308|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL"},
	{[]change.Value{uint64(18446744073709551615), int64(-9223372036854775808), float32(0.1), 1.0 / 3,
		change.Decimal("-12345678901234567890.0123456789"), change.Temporal("2026-03-29 02:30:00.000001"),
		change.Temporal("2026-03-29 01:30:00.999999"), change.Temporal("0000-00-00"), change.Temporal("-838:59:59.000"),
		change.JSON(`{"k": [1, "ü", null]}`), "b c", "x,z", uint64(0xABC), []byte{'a', 0, 0, 0}, []byte{0xff, 0},
		"héllo 😀", nil, "", int64(2026), int64(-128), uint64(255), int64(-8388608), change.Temporal("0000-00-00 00:00:00"),
		"ab", "ab  ", []byte{0, 1, 0xfe}, "é", []byte{0xe9}, change.Decimal("-0.01")},
		"18446744073709551615|-9223372036854775808|0.1|0.3333333333333333|-12345678901234567890.0123456789|" +
			"2026-03-29 02:30:00.000001|2026-03-29 01:30:00.999999|0000-00-00|-838:59:59.000|" +
			`{"k": [1, "ü", null]}|b c|x,z|2748|61000000|FF00|héllo 😀|NULL|1|2026|` +
			"-128|255|-8388608|0000-00-00 00:00:00|[ab]|[ab  ]|0001FE|é|E9|-0.01"},
}

// TestValuesArriveExactly writes rows of every type through the
// interpolated statements and through the prepared ones (rows_per_statement
// 1 makes every upsert a full statement, and so prepared, except those
// with a []byte value): both must read back as written.
func TestValuesArriveExactly(t *testing.T) {
	tables := []struct {
		table    string
		rows     int
		prepared bool
		noBytes  bool
	}{
		{"v_text", 0, false, false},
		{"v_prep", 1, true, false},
		// Without []byte values every row is prepared; the same rows
		// interpolated must read back the same.
		{"v_str", 1, true, true},
		{"v_str_text", 0, false, true},
	}
	var ddl []string
	for _, tt := range tables {
		ddl = append(ddl, "CREATE TABLE tgt."+tt.table+" "+valuesDDL)
	}
	tg := startTarget(t, ddl...)
	want := make([]string, len(valuesRows))
	for i, r := range valuesRows {
		want[i] = r.want
	}
	dumps := map[string][]string{}
	for _, tt := range tables {
		t.Run(tt.table, func(t *testing.T) {
			v := table(tt.table, "id")
			s := tg.sink(t, Options{RowsPerStatement: tt.rows, Workers: 1})
			var ops []change.TargetOp
			for _, r := range valuesRows {
				vals := r.vals
				if tt.noBytes {
					vals = withoutBytes(vals)
				}
				ops = append(ops, upsert(v, valuesCols, vals...))
			}
			applyAll(t, s, txn(1, ops...))
			dumps[tt.table] = tg.dump(t, fmt.Sprintf(valuesQuery, tt.table))
			if !tt.noBytes {
				require.Equal(t, want, dumps[tt.table])
			}
			require.Equal(t, tt.prepared, preparedShapes(s) > 0, "prepared statements used")
			var tz string
			require.NoError(t, tg.db.QueryRow("SELECT UNIX_TIMESTAMP(ts) FROM "+tt.table+" WHERE id = 18446744073709551615").Scan(&tz))
			require.Equal(t, "1774747800.999999", tz, "TIMESTAMP is written as UTC")
		})
	}
	require.Equal(t, dumps["v_str_text"], dumps["v_str"])
}

// withoutBytes returns vals with each []byte replaced by NULL.
func withoutBytes(vals []change.Value) []change.Value {
	out := make([]change.Value, len(vals))
	for i, v := range vals {
		if _, ok := v.([]byte); ok {
			v = nil
		}
		out[i] = v
	}
	return out
}

// preparedShapes returns the number of prepared statement shapes of s.
func preparedShapes(s *Sink) int {
	s.prepared.mu.Lock()
	defer s.prepared.mu.Unlock()
	n := 0
	for _, st := range s.prepared.mu.stmts {
		if st != nil {
			n++
		}
	}
	return n
}

// TestValuesArriveExactlyByUpdate writes the same rows as updates of rows
// that hold only their keys, all in one statement (see updateJoinSQL) and
// one row at a time: the joined rows' columns mix every row's values,
// which must read back as written, as the upserts do.
func TestValuesArriveExactlyByUpdate(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.v_join "+valuesDDL, "CREATE TABLE tgt.v_one "+valuesDDL)
	want := make([]string, len(valuesRows))
	for i, r := range valuesRows {
		want[i] = r.want
	}
	for _, tt := range []struct {
		table string
		rows  int
	}{{"v_join", 0}, {"v_one", 1}} {
		t.Run(tt.table, func(t *testing.T) {
			v := table(tt.table, "id")
			s := tg.sink(t, Options{RowsPerStatement: tt.rows, Workers: 1})
			var keys, updates []change.TargetOp
			for _, r := range valuesRows {
				keys = append(keys, upsert(v, valuesCols[:1], r.vals[0]))
				updates = append(updates, updateRow(v, r.vals[0], valuesCols[1:], r.vals[1:]...))
			}
			// Apart, so that compaction cannot merge the updates into the
			// upserts of the keys.
			applyAll(t, s, txn(1, keys...))
			general := filepath.Join(t.TempDir(), "general.log")
			tg.srv.Exec(t, "SET GLOBAL general_log_file = '"+general+"'", "SET GLOBAL general_log = 1")
			applyAll(t, s, txn(2, updates...))
			tg.srv.Exec(t, "SET GLOBAL general_log = 0")
			require.Equal(t, want, tg.dump(t, fmt.Sprintf(valuesQuery, tt.table)))
			log, err := os.ReadFile(general)
			require.NoError(t, err)
			require.Equal(t, tt.rows == 0, strings.Contains(string(log), " UNION ALL SELECT "), "updated joined")
			require.Equal(t, tt.rows == 1, strings.Contains(string(log), "WHERE `id`="), "updated row by row")
		})
	}
}
