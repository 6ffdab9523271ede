package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/problem"
)

func TestWriteText(t *testing.T) {
	rep := &Report{Mappings: []*MappingReport{
		{Target: "global.members", Path: PathChecksum, Chunks: 3, ChunksDiffering: 1, Compared: 1200, Missing: 1, Different: 1, ExtraChecked: true, Elapsed: 1500 * time.Millisecond,
			Skipped: []string{"seen_at"},
			Diffs: []Difference{
				{Kind: Missing, Key: []Field{{"id", int64(7)}}},
				{Kind: Different, Key: []Field{{"id", int64(9)}}, Columns: []string{"bio", "locale"},
					Want: []Field{{"bio", "a"}, {"locale", nil}}, Got: []Field{{"bio", ""}, {"locale", "NULL"}}},
			}},
		{Target: "global.recipes", Path: PathRows, PathNote: "the mapping has lookups", Compared: 3, Note: "extra rows not looked for: why"},
	}, Sources: []SourceLoad{{Source: "jp-accounts", Queries: 12, Rows: 1203, ThrottledSeconds: 0.25}}}
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	require.Equal(t, `TARGET          PATH      COMPARED  MISSING  EXTRA  DIFFERENT  ELAPSED
global.members  checksum  1200      1        0      1          1.5s
global.recipes  rows      3         0        -      0          0s
source jp-accounts: 12 queries, 1203 rows read, 0.2s throttled
global.members: 1 of 3 checksum chunks differed and were compared row by row
global.members: not compared (set when streamed): seen_at
global.members missing id=7
global.members different id=9 columns bio,locale want bio="a" locale=NULL got bio="" locale="NULL"
global.recipes: compared row by row: the mapping has lookups
global.recipes: extra rows not looked for: why
verify: 2 difference(s)
`, b.String())
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		col  string
		a, b any
		same bool
	}{
		{"int", int64(5), uint64(5), true},
		{"int", int64(5), "5", true},
		{"int", nil, int64(0), false},
		{"varchar(5)", nil, "", false},
		{"varchar(5)", "", "NULL", false},
		{"varchar(5)", "a ", "a", false},
		{"char(5)", "a ", "a", true},
		{"decimal(10,2)", "1.5", "1.50", true},
		{"decimal(10,2)", "1.005", "1.01", true},
		{"decimal(10,2)", "-0.001", "0.00", true},
		{"decimal(10,2)", int64(3), "3.00", true},
		{"decimal(10,2)", float64(1.005), "1.01", true},
		{"decimal(10,2)", float32(2.5), "2.50", true},
		{"decimal(10,0)", "-2.5", "-3", true},
		{"int", float64(2.5), int64(3), true},
		{"int", "-2.5", int64(-3), true},
		{"int", "abc", int64(0), false},
		{"datetime(3)", "2026-01-02 03:04:05.123456", "2026-01-02 03:04:05.123", true},
		{"datetime(6)", "2026-01-02 03:04:05", "2026-01-02 03:04:05.000000", true},
		{"date", "2026-01-02 03:04:05", "2026-01-02", true},
		{"float", float64(0.1), float32(0.1), true},
		{"double", float32(0.1), float64(0.1), false},
		{"json", `{"b":1, "a":[1,2]}`, `{"a": [1, 2], "b": 1}`, true},
		{"json", `[1.0]`, `[1]`, false},
		{"binary(4)", []byte("ab"), []byte("ab\x00\x00"), true},
		{"varbinary(4)", []byte("ab"), []byte("ab\x00\x00"), false},
	} {
		col := columnOf(t, tc.col)
		f := canonFor(col)
		require.Equal(t, tc.same, f(tc.a) == f(tc.b), "%s: %#v vs %#v", tc.col, tc.a, tc.b)
	}
}

func TestTargetSettings(t *testing.T) {
	for _, tc := range []struct {
		target Target
		want   []string
	}{
		{Target{Host: "db", User: "u"}, nil},
		{Target{DataSourceName: "u:p@tcp(db:3306)/g"}, nil},
		{Target{}, []string{"verify.target.host: is required (or dsn)", "verify.target.user: is required with host"}},
		{Target{DataSourceName: "u:p@tcp(db:3306)/g", Host: "db", PasswordEnv: "X"}, []string{
			"verify.target.host: cannot be combined with dsn (set it inside the dsn)",
			"verify.target.password_env: cannot be combined with dsn (set it inside the dsn)"}},
	} {
		var l problem.List
		(&Settings{Target: &tc.target}).Check(problem.Under(&l, "verify"))
		var got []string
		for _, p := range l {
			got = append(got, p.String())
		}
		require.Equal(t, tc.want, got)
	}
	t.Setenv("VERIFY_TEST_PW", "s3cret")
	require.Equal(t, "u:s3cret@tcp(db:3307)/g", (&Target{Host: "db", Port: 3307, User: "u", PasswordEnv: "VERIFY_TEST_PW", Database: "g"}).DSN())
}

// columnOf returns a column of the given type.
func columnOf(t *testing.T, typ string) change.Column {
	t.Helper()
	name, _, _ := strings.Cut(typ, "(")
	kinds := map[string]change.Kind{
		"int": change.KindInt, "varchar": change.KindString, "char": change.KindString,
		"decimal": change.KindDecimal, "datetime": change.KindDateTime, "date": change.KindDate,
		"float": change.KindFloat, "double": change.KindDouble, "json": change.KindJSON,
		"binary": change.KindBytes, "varbinary": change.KindBytes,
	}
	k, ok := kinds[name]
	require.True(t, ok, typ)
	return change.Column{Name: "c", Type: typ, Kind: k}
}

func TestThrottleSettings(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		s    Settings
		want []string
	}{
		{Settings{}, nil},
		{Settings{MaxRowsPerSecond: n(0), MaxThreadsRunning: n(40)}, nil},
		{Settings{MaxRowsPerSecond: n(-1), MaxThreadsRunning: n(-2)}, []string{
			"verify.max_rows_per_second: must be 0 (no cap) or more",
			"verify.max_threads_running: must be 0 (off) or more"}},
	} {
		var l problem.List
		tc.s.Check(problem.Under(&l, "verify"))
		var got []string
		for _, p := range l {
			got = append(got, p.String())
		}
		require.Equal(t, tc.want, got)
	}
}

func TestHashClass(t *testing.T) {
	for _, tc := range []struct {
		a, b change.Column
		same bool
	}{
		{change.Column{Kind: change.KindInt, Type: "int"}, change.Column{Kind: change.KindUint, Type: "bigint unsigned"}, true},
		{change.Column{Kind: change.KindInt, Type: "int"}, change.Column{Kind: change.KindDecimal, Type: "decimal(10,0)"}, false},
		{change.Column{Kind: change.KindDecimal, Type: "decimal(10,2)"}, change.Column{Kind: change.KindDecimal, Type: "decimal(12,2)"}, true},
		{change.Column{Kind: change.KindDecimal, Type: "decimal(10,2)"}, change.Column{Kind: change.KindDecimal, Type: "decimal(10,3)"}, false},
		{change.Column{Kind: change.KindDateTime, Type: "datetime(6)"}, change.Column{Kind: change.KindTimestamp, Type: "timestamp(6)"}, true},
		{change.Column{Kind: change.KindDateTime, Type: "datetime(3)"}, change.Column{Kind: change.KindDateTime, Type: "datetime(6)"}, false},
		{change.Column{Kind: change.KindString, Type: "varchar(5)", Charset: "utf8mb4"}, change.Column{Kind: change.KindString, Type: "text", Charset: "utf8mb4"}, true},
		{change.Column{Kind: change.KindString, Type: "varchar(5)", Charset: "utf8mb4"}, change.Column{Kind: change.KindString, Type: "varchar(5)", Charset: "latin1"}, false},
		{change.Column{Kind: change.KindFloat, Type: "float"}, change.Column{Kind: change.KindDouble, Type: "double"}, false},
		{change.Column{Kind: change.KindEnum, Type: "enum('a','b')"}, change.Column{Kind: change.KindEnum, Type: "enum('a','b','c')"}, false},
		{change.Column{Kind: change.KindJSON, Type: "longtext"}, change.Column{Kind: change.KindString, Type: "longtext", Charset: "utf8mb4"}, false},
	} {
		require.Equal(t, tc.same, hashClass(tc.a) == hashClass(tc.b), "%+v vs %+v", tc.a, tc.b)
		require.NotEmpty(t, hashClass(tc.a))
	}
}
