package decode

import (
	"math"

	"github.com/tributary-cdc/tributary/internal/change"
)

// testColumn is one column of an integration test table.
type testColumn struct {
	ddl  string
	want change.Column
}

// cell is one value of a test row: its SQL literal and the decoded value.
type cell struct {
	sql  string
	want change.Value
}

// testTable is a table whose rows are inserted, then the first row is
// updated to the values of the last one and the second row is deleted.
type testTable struct {
	name string
	cols []testColumn
	rows [][]cell
}

func col(name, ddl string, kind change.Kind, typ, charset string, nullable bool) testColumn {
	return testColumn{ddl: name + " " + ddl, want: change.Column{Name: name, Kind: kind, Type: typ, Charset: charset, Nullable: nullable}}
}

var idColumn = change.Column{Name: "id", Kind: change.KindUint, Type: "int unsigned"}

var null = cell{"NULL", nil}

func i(sql string, v int64) cell     { return cell{sql, v} }
func u(sql string, v uint64) cell    { return cell{sql, v} }
func s(sql, v string) cell           { return cell{sql, v} }
func b(sql string, v ...byte) cell   { return cell{sql, append([]byte{}, v...)} }
func tm(sql, v string) cell          { return cell{sql, change.Temporal(v)} }
func dec(sql, v string) cell         { return cell{sql, change.Decimal(v)} }
func f32(sql string, v float32) cell { return cell{sql, v} }
func f64(sql string, v float64) cell { return cell{sql, v} }

const (
	dec65 = "99999999999999999999999999999999999.999999999999999999999999999999"
	// pointWKB is POINT(1 2) as the server stores it: SRID 0, then WKB.
	pointWKB = "\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@"
)

var testTables = []testTable{
	{
		name: "ints",
		cols: []testColumn{
			col("i8", "TINYINT", change.KindInt, "tinyint", "", true),
			col("u8", "TINYINT UNSIGNED", change.KindUint, "tinyint unsigned", "", true),
			col("i16", "SMALLINT", change.KindInt, "smallint", "", true),
			col("u16", "SMALLINT UNSIGNED", change.KindUint, "smallint unsigned", "", true),
			col("i24", "MEDIUMINT", change.KindInt, "mediumint", "", true),
			col("u24", "MEDIUMINT UNSIGNED", change.KindUint, "mediumint unsigned", "", true),
			col("i32", "INT", change.KindInt, "int", "", true),
			col("u32", "INT UNSIGNED", change.KindUint, "int unsigned", "", true),
			col("i64", "BIGINT", change.KindInt, "bigint", "", true),
			col("u64", "BIGINT UNSIGNED NOT NULL", change.KindUint, "bigint unsigned", "", false),
		},
		rows: [][]cell{
			{i("-128", -128), u("0", 0), i("-32768", -32768), u("0", 0), i("-8388608", -8388608), u("0", 0),
				i("-2147483648", math.MinInt32), u("0", 0), i("-9223372036854775808", math.MinInt64), u("0", 0)},
			{i("127", 127), u("255", 255), i("32767", 32767), u("65535", 65535), i("8388607", 8388607),
				u("16777215", 16777215), i("2147483647", math.MaxInt32), u("4294967295", math.MaxUint32),
				i("9223372036854775807", math.MaxInt64), u("18446744073709551615", math.MaxUint64)},
			{null, u("128", 128), i("-1", -1), u("32768", 32768), null, u("8388608", 8388608), i("0", 0),
				u("2147483648", 2147483648), null, u("9223372036854775808", 1<<63)},
		},
	},
	{
		name: "nums",
		cols: []testColumn{
			col("d4", "DECIMAL(10,4)", change.KindDecimal, "decimal(10,4)", "", true),
			col("d0", "DECIMAL(5,0)", change.KindDecimal, "decimal(5,0)", "", true),
			col("d65", "DECIMAL(65,30)", change.KindDecimal, "decimal(65,30)", "", true),
			col("f", "FLOAT", change.KindFloat, "float", "", true),
			col("d", "DOUBLE", change.KindDouble, "double", "", true),
			col("b64", "BIT(64)", change.KindBit, "bit(64)", "", true),
			col("b1", "BIT(1)", change.KindBit, "bit(1)", "", true),
			col("b5", "BIT(5)", change.KindBit, "bit(5)", "", true),
			col("y", "YEAR", change.KindYear, "year", "", true),
		},
		rows: [][]cell{
			{dec("-12.34", "-12.3400"), dec("-99999", "-99999"), dec(dec65, dec65), f32("1.5", 1.5),
				f64("-1.7976931348623157e308", -math.MaxFloat64), u("b'1111111111111111111111111111111111111111111111111111111111111111'", math.MaxUint64),
				u("b'1'", 1), u("b'10110'", 22), i("2155", 2155)},
			{dec("0", "0.0000"), dec("0", "0"), dec("-0.000000000000000000000000000001", "-0.000000000000000000000000000001"),
				f32("-0.5", -0.5), f64("0", 0), u("b'0'", 0), u("b'0'", 0), u("b'0'", 0), i("0", 0)},
			{dec("0.01", "0.0100"), dec("1", "1"), dec("1234567890.012345678901234567890123456789", "1234567890.012345678901234567890123456789"),
				f32("0.1", 0.1), f64("2.2250738585072014e-308", 2.2250738585072014e-308), u("x'8000000000000000'", 1<<63),
				null, u("b'11111'", 31), i("1901", 1901)},
			{null, null, null, null, null, null, null, null, null},
		},
	},
	{
		name: "temporal",
		cols: []testColumn{
			col("d", "DATE", change.KindDate, "date", "", true),
			col("t0", "TIME", change.KindTime, "time", "", true),
			col("t2", "TIME(2)", change.KindTime, "time(2)", "", true),
			col("t6", "TIME(6)", change.KindTime, "time(6)", "", true),
			col("dt0", "DATETIME", change.KindDateTime, "datetime", "", true),
			col("dt3", "DATETIME(3)", change.KindDateTime, "datetime(3)", "", true),
			col("dt6", "DATETIME(6)", change.KindDateTime, "datetime(6)", "", true),
			col("ts0", "TIMESTAMP NULL", change.KindTimestamp, "timestamp", "", true),
			col("ts6", "TIMESTAMP(6) NULL", change.KindTimestamp, "timestamp(6)", "", true),
		},
		rows: [][]cell{
			{tm("'2024-02-29'", "2024-02-29"), tm("'838:59:59'", "838:59:59"), tm("'-00:00:00.01'", "-00:00:00.01"),
				tm("'-838:59:59.000000'", "-838:59:59.000000"), tm("'9999-12-31 23:59:59'", "9999-12-31 23:59:59"),
				tm("'2024-02-29 12:34:56.789'", "2024-02-29 12:34:56.789"),
				tm("'2024-02-29 12:34:56.000001'", "2024-02-29 12:34:56.000001"),
				tm("'2038-01-19 03:14:07'", "2038-01-19 03:14:07"), tm("'1970-01-01 00:00:01'", "1970-01-01 00:00:01.000000")},
			{tm("'0000-00-00'", "0000-00-00"), tm("'00:00:00'", "00:00:00"), tm("'00:00:00'", "00:00:00.00"),
				tm("'00:00:00'", "00:00:00.000000"), tm("'0000-00-00 00:00:00'", "0000-00-00 00:00:00"),
				tm("'0000-00-00 00:00:00'", "0000-00-00 00:00:00.000"), tm("'0000-00-00 00:00:00'", "0000-00-00 00:00:00.000000"),
				tm("'0000-00-00 00:00:00'", "0000-00-00 00:00:00"), tm("'0000-00-00 00:00:00'", "0000-00-00 00:00:00.000000")},
			{tm("'1000-01-01'", "1000-01-01"), tm("'-12:34:56'", "-12:34:56"), tm("'12:34:56.7'", "12:34:56.70"),
				tm("'-12:34:56.789012'", "-12:34:56.789012"), tm("'1000-01-01 00:00:00'", "1000-01-01 00:00:00"),
				tm("'2024-03-31 01:30:00.5'", "2024-03-31 01:30:00.500"), tm("'2024-03-31 02:30:00.123456'", "2024-03-31 02:30:00.123456"),
				tm("'2024-03-31 01:30:00'", "2024-03-31 01:30:00"), tm("'2024-06-01 12:00:00.123456'", "2024-06-01 12:00:00.123456")},
			{null, tm("'-00:00:01'", "-00:00:01"), tm("'-00:00:01.5'", "-00:00:01.50"), tm("'00:00:00.000001'", "00:00:00.000001"),
				null, null, null, null, null},
		},
	},
	{
		name: "texts",
		cols: []testColumn{
			col("l1", "VARCHAR(20) CHARACTER SET latin1", change.KindString, "varchar(20)", "latin1", true),
			col("lc", "CHAR(10) CHARACTER SET latin1", change.KindString, "char(10)", "latin1", true),
			col("u4", "VARCHAR(20)", change.KindString, "varchar(20)", "utf8mb4", true),
			col("c4", "CHAR(5)", change.KindString, "char(5)", "utf8mb4", true),
			col("u3", "VARCHAR(10) CHARACTER SET utf8mb3", change.KindString, "varchar(10)", "utf8mb3", true),
			col("uc", "VARCHAR(10) CHARACTER SET ucs2", change.KindString, "varchar(10)", "ucs2", true),
			col("cp", "VARCHAR(10) CHARACTER SET cp1251", change.KindString, "varchar(10)", "cp1251", true),
			col("tx", "TEXT", change.KindString, "text", "utf8mb4", true),
			col("lt", "LONGTEXT CHARACTER SET latin1", change.KindString, "longtext", "latin1", true),
			col("uca", "VARCHAR(10) COLLATE utf8mb4_uca1400_ai_ci", change.KindString, "varchar(10)", "utf8mb4", true),
			col("c255", "CHAR(255)", change.KindString, "char(255)", "utf8mb4", true),
			col("v300", "VARCHAR(300) CHARACTER SET latin1", change.KindString, "varchar(300)", "latin1", true),
		},
		rows: [][]cell{
			{s("'café €'", "café €"), s("'ÿ  '", "ÿ"), s("'😀 emoji'", "😀 emoji"), s("'ab  '", "ab"), s("'ü€'", "ü€"),
				s("'Ωé'", "Ωé"), s("'Привет'", "Привет"), s("'text\n'", "text\n"), s("'Grüße'", "Grüße"), s("'x'", "x"),
				s("REPEAT('😀', 255)", repeat("😀", 255)), s("REPEAT('ß', 300)", repeat("ß", 300))},
			{s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", ""), s("''", "")},
			{null, null, null, null, null, null, null, null, null, null, null, null},
			{s("'NULL'", "NULL"), s("' a'", " a"), s("'🏳️‍🌈'", "🏳️‍🌈"), s("' '", ""), s("'ẞ'", "ẞ"),
				s("'\\t'", "\t"), s("'ё'", "ё"), s("REPEAT('é', 1000)", repeat("é", 1000)), s("x'80818d8f909d'", "€\u0081\u008d\u008f\u0090\u009d"), s("'ǅ'", "ǅ"),
				s("'a  '", "a"), s("'b  '", "b  ")},
		},
	},
	{
		name: "bins",
		cols: []testColumn{
			col("b8", "BINARY(8)", change.KindBytes, "binary(8)", "", true),
			col("vb", "VARBINARY(16)", change.KindBytes, "varbinary(16)", "", true),
			col("tb", "TINYBLOB", change.KindBytes, "tinyblob", "", true),
			col("bl", "BLOB", change.KindBytes, "blob", "", true),
			col("mb", "MEDIUMBLOB", change.KindBytes, "mediumblob", "", true),
			col("lb", "LONGBLOB", change.KindBytes, "longblob", "", true),
			col("g", "GEOMETRY", change.KindGeometry, "geometry", "", true),
			col("p", "POINT", change.KindGeometry, "point", "", true),
		},
		rows: [][]cell{
			{b("x'0102'", 1, 2, 0, 0, 0, 0, 0, 0), b("x'000100'", 0, 1, 0), b("x'00ff'", 0, 0xff), b("x''"), b("x'7f'", 0x7f),
				b("x'00'", 0), cell{"ST_GeomFromText('POINT(1 2)')", []byte(pointWKB)}, cell{"POINT(1, 2)", []byte(pointWKB)}},
			{b("x'0000000000000000'", 0, 0, 0, 0, 0, 0, 0, 0), b("''"), b("''"), b("x'0000'", 0, 0), b("''"), b("''"), null, null},
			{null, null, null, null, null, null, null, null},
			{b("x'4120202020202020'", 'A', ' ', ' ', ' ', ' ', ' ', ' ', ' '), b("x'ff'", 0xff), b("x'20'", ' '),
				b("x'0a00'", '\n', 0), b("x'00'", 0), b("x'ffff'", 0xff, 0xff), null, null},
		},
	},
	{
		name: "misc",
		cols: []testColumn{
			col("j", "JSON", change.KindJSON, "json", "", true),
			col("e", "ENUM('a','b','c é','it''s') CHARACTER SET latin1", change.KindEnum, "enum('a','b','c é','it''s')", "", true),
			col("e2", `ENUM('x','y\\z') NOT NULL`, change.KindEnum, `enum('x','y\\z')`, "", false),
			col("st", "SET('a','b','c','d')", change.KindSet, "set('a','b','c','d')", "", true),
		},
		rows: [][]cell{
			{cell{`'{"k": [1, 2.5, "é"], "n": null}'`, change.JSON(`{"k": [1, 2.5, "é"], "n": null}`)}, s("'c é'", "c é"),
				s(`'y\\z'`, `y\z`), s("'d,a'", "a,d")},
			{cell{"'[]'", change.JSON("[]")}, s("'nope'", ""), s("'x'", "x"), s("''", "")},
			{null, null, s("'x'", "x"), null},
			{cell{`'"\\u00e9"'`, change.JSON(`"\u00e9"`)}, s("'it''s'", "it's"), s("2", `y\z`), s("'a,b,c,d'", "a,b,c,d")},
		},
	},
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
