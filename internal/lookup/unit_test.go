package lookup

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dsn"
)

func TestIsTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("querying: %w", context.DeadlineExceeded), true},
		{context.Canceled, false},
		{driver.ErrBadConn, true},
		{mysql.ErrInvalidConn, true},
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{&mysql.MySQLError{Number: 1213}, true},
		{fmt.Errorf("x: %w", &mysql.MySQLError{Number: 2013}), true},
		{&mysql.MySQLError{Number: 1205}, true},
		{&mysql.MySQLError{Number: 1290}, true},
		{&mysql.MySQLError{Number: 1045}, false}, // access denied
		{&mysql.MySQLError{Number: 1064}, false}, // syntax
		{permanentf("x: %w", context.DeadlineExceeded), false},
		{errors.New("something else"), false},
	} {
		require.Equal(t, tc.want, IsTransient(tc.err), "%v", tc.err)
	}
}

func TestAppendKeyIsUnambiguous(t *testing.T) {
	sets := [][]change.Value{
		{nil}, {int64(1)}, {uint64(1)}, {float32(1)}, {float64(1)}, {"1"}, {change.Decimal("1")},
		{change.Temporal("1")}, {change.JSON("1")}, {[]byte("1")}, {"a", "bc"}, {"ab", "c"}, {"", nil}, {nil, ""},
		{"a\x01b"}, {"a", "\x01b"},
	}
	seen := map[string]int{}
	for i, set := range sets {
		k, err := change.AppendKey(nil, set)
		require.NoError(t, err)
		j, dup := seen[string(k)]
		require.False(t, dup, "sets %d and %d share a key", i, j)
		seen[string(k)] = i
	}
	_, err := change.AppendKey(nil, []change.Value{1})
	require.Error(t, err)
}

func TestJSONArray(t *testing.T) {
	rows := []change.Row{
		{nil}, {int64(-1)}, {uint64(18446744073709551615)}, {float32(0.1)}, {1e21}, {change.Decimal("-0.50")},
		{"<é\"\n>"}, {change.Temporal("2024-01-01 00:00:00.000001")}, {change.JSON(`{"a":[1]}`)}, {[]byte{0, 1}},
		{"\x01\xff\u2028&"},
	}
	doc, err := jsonArray(rows)
	require.NoError(t, err)
	require.Equal(t, change.JSON(`[null,-1,18446744073709551615,0.1,1e+21,-0.50,"<é\"\n>",`+
		`"2024-01-01 00:00:00.000001",{"a":[1]},"AAE=","\u0001\ufffd\u2028&"]`), doc)
	empty, err := jsonArray(nil)
	require.NoError(t, err)
	require.Equal(t, change.JSON("[]"), empty)
	_, err = jsonArray([]change.Row{{change.JSON("{")}})
	require.Error(t, err)
}

func TestConverters(t *testing.T) {
	for _, tc := range []struct {
		col  change.Column
		raw  string
		want change.Value
	}{
		{change.Column{Kind: change.KindInt}, "-9223372036854775808", int64(-9223372036854775808)},
		{change.Column{Kind: change.KindUint}, "18446744073709551615", uint64(18446744073709551615)},
		{change.Column{Kind: change.KindYear}, "0000", int64(0)},
		{change.Column{Kind: change.KindDateTime, Type: "datetime(3)"}, "2024-01-01 00:00:00.1", change.Temporal("2024-01-01 00:00:00.100")},
		{change.Column{Kind: change.KindTimestamp, Type: "timestamp"}, "2024-01-01 00:00:00", change.Temporal("2024-01-01 00:00:00")},
		{change.Column{Kind: change.KindBit, Type: "bit(16)"}, "\x01\x02", uint64(0x102)},
		{change.Column{Kind: change.KindBytes}, "", []byte{}},
	} {
		conv, err := newConverter(tc.col)
		require.NoError(t, err)
		got, err := conv.convert([]byte(tc.raw))
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
		null, err := conv.convert(nil)
		require.NoError(t, err)
		require.Nil(t, null)
	}
	conv, err := newConverter(change.Column{Kind: change.KindInt})
	require.NoError(t, err)
	_, err = conv.convert([]byte("secret-value"))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
	_, err = newConverter(change.Column{Kind: change.KindUnknown, Type: "inet6"})
	require.Error(t, err)
}

func TestQuerySQL(t *testing.T) {
	s := newSearch("n", tableKey{"src", "sch`x", "t"}, []string{"a", "b`c"}, []string{"v", "f"}, []string{"o"})
	s.desc = &change.Table{Columns: []change.Column{{Name: "v", Kind: change.KindString}, {Name: "f", Kind: change.KindFloat}}}
	for _, set := range [][]change.Value{{int64(1), "x"}, {nil, "y"}, {change.Decimal("-1.50"), float32(0.5)}} {
		_, err := s.add(set)
		require.NoError(t, err)
	}
	query, args := s.sql([]int{0, 2}, " LOCK IN SHARE MODE", false)
	require.Equal(t, "SELECT p.i, t.`v`, t.`f` + 0e0 FROM (SELECT 0 AS i, ? AS m1, ? AS m2 UNION ALL SELECT 2, -1.50, ?) AS p "+
		"JOIN `sch``x`.`t` AS t ON t.`a` = p.m1 AND t.`b``c` = p.m2 ORDER BY p.i, t.`o` LOCK IN SHARE MODE", query)
	require.Equal(t, []any{int64(1), "x", float64(0.5)}, args)
	require.Equal(t, [][]int{{0, 2}}, s.chunks(500))
	require.Equal(t, [][]int{{0}, {2}}, s.chunks(1))
}

func TestLockingFor(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    locking
	}{
		{"10.11.6-MariaDB-0+deb12u1-log", locking{" LOCK IN SHARE MODE NOWAIT", " LOCK IN SHARE MODE"}},
		{"11.4.2-MariaDB", locking{" LOCK IN SHARE MODE NOWAIT", " LOCK IN SHARE MODE"}},
		{"10.3.39-MariaDB", locking{" LOCK IN SHARE MODE NOWAIT", " LOCK IN SHARE MODE"}},
		{"10.2.44-MariaDB", locking{"", " LOCK IN SHARE MODE"}},
		{"5.5.5-10.6.12-MariaDB", locking{"", " LOCK IN SHARE MODE"}}, // the old replication prefix hides the version
		{"8.0.36", locking{" FOR SHARE NOWAIT", " FOR SHARE"}},
		{"8.0.mysql_aurora.3.05.2", locking{" FOR SHARE NOWAIT", " FOR SHARE"}},
		{"5.7.12-log", locking{"", " LOCK IN SHARE MODE"}},
		{"", locking{"", " LOCK IN SHARE MODE"}},
	} {
		require.Equal(t, tt.want, lockingFor(tt.version), tt.version)
	}
}

func TestBusy(t *testing.T) {
	require.True(t, busy(&mysql.MySQLError{Number: 3572}))                      // MySQL's ER_LOCK_NOWAIT
	require.True(t, busy(fmt.Errorf("x: %w", &mysql.MySQLError{Number: 1205}))) // MariaDB's lock wait timeout
	require.False(t, busy(&mysql.MySQLError{Number: 1213}))
	require.False(t, busy(context.DeadlineExceeded))
}

func TestNewValidates(t *testing.T) {
	_, err := New(Options{PoolSize: -1, Timeout: -time.Second, Batch: -2, Sources: map[string]string{
		"a": "root:hunter2@tcp(127.0.0.1:3306)/", "b": "not a dsn hunter2", "": "root@tcp(x:1)/",
	}})
	require.Error(t, err)
	for _, want := range []string{"pool_size: must be between 1 and 256", "timeout: must be at least 1ms",
		"batch: must be between 1 and 10000", "source b", "empty name"} {
		require.ErrorContains(t, err, want)
	}
	require.NotContains(t, err.Error(), "hunter2")

	r, err := New(Options{Sources: map[string]string{"a": "u:p@tcp(127.0.0.1:3306)/?time_zone=SYSTEM"}})
	require.NoError(t, err)
	require.Equal(t, DefaultPoolSize, r.opts.PoolSize)
	require.Equal(t, DefaultTimeout, r.opts.Timeout)
	require.Equal(t, DefaultBatch, r.opts.Batch)
	require.NoError(t, r.Close())

	dsn, err := dsn.ReadSession("u:p@tcp(127.0.0.1:3306)/?time_zone=SYSTEM&parseTime=true")
	require.NoError(t, err)
	cfg, err := mysql.ParseDSN(dsn)
	require.NoError(t, err)
	require.Equal(t, "'+00:00'", cfg.Params["time_zone"])
	require.True(t, cfg.InterpolateParams)
	require.False(t, cfg.ParseTime)
	require.Contains(t, dsn, "charset=utf8mb4")
}

func TestParseMatchValue(t *testing.T) {
	for text, want := range map[string]change.Value{
		"0": int64(0), "42": uint64(42), "-1": int64(-1),
		"18446744073709551615": uint64(18446744073709551615),
		"-9223372036854775808": int64(-9223372036854775808),
	} {
		got, ok := parseMatchValue([]byte(text))
		require.True(t, ok, text)
		require.Equal(t, matchValueOf(want), got, text)
	}
	for _, text := range []string{"", "-", "1a", " 1", "18446744073709551616", "1.0"} {
		_, ok := parseMatchValue([]byte(text))
		require.False(t, ok, "%q", text)
	}
	order := []change.Value{int64(-9223372036854775808), int64(-2), int64(-1), int64(0), uint64(1),
		int64(9223372036854775807), uint64(18446744073709551615)}
	for i := range order {
		for j := range order {
			require.Equal(t, cmpInts(i, j), matchValueOf(order[i]).compare(matchValueOf(order[j])), "%v %v", order[i], order[j])
		}
	}
}

// cmpInts compares a and b.
func cmpInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rows arrive ordered by value, but one out of order is still found, and
// one of no set of the query is an error.
func TestSetsByValueOutOfOrder(t *testing.T) {
	s := newSearch("l", tableKey{}, []string{"k"}, []string{"v"}, nil)
	for _, v := range []change.Value{int64(5), int64(-3), uint64(9), uint64(5)} {
		_, err := s.add([]change.Value{v})
		require.NoError(t, err)
	}
	setsOf := s.setsByValue([]int{0, 1, 2, 3})
	for _, tt := range []struct {
		text string
		want []int
	}{{"-3", []int{1}}, {"5", []int{0, 3}}, {"9", []int{2}}, {"-3", []int{1}}, {"5", []int{0, 3}}} {
		got, err := setsOf([]byte(tt.text))
		require.NoError(t, err, tt.text)
		require.ElementsMatch(t, tt.want, got, tt.text)
	}
	for _, text := range []string{"4", "10", "-4", "x"} {
		_, err := setsOf([]byte(text))
		require.EqualError(t, err, "reading the match value of a row: not a value of the query", text)
	}
}

// A set's rows that come apart still reach it in order, and appending to
// one set's list never writes into another's.
func TestRowsReadRunsApart(t *testing.T) {
	to := make([][]change.Row, 3)
	g := newRowsRead(to)
	row := func(v string) change.Row {
		r := g.newRow(1)
		r[0] = v
		return r
	}
	g.add(0, row("a"))
	g.add(0, row("b"))
	g.add(1, row("c"))
	g.add(0, row("d"))
	for i := range 600 { // past the first arrays of rows and of lists
		g.add(2, row(fmt.Sprint(i)))
	}
	g.flush()
	require.Equal(t, []change.Row{{"a"}, {"b"}, {"d"}}, to[0])
	require.Equal(t, []change.Row{{"c"}}, to[1])
	require.Len(t, to[2], 600)
	require.Equal(t, change.Row{"599"}, to[2][599])
	to[1] = append(to[1], change.Row{"x"})
	require.Equal(t, change.Row{"d"}, to[0][2])
	require.Equal(t, change.Row{"0"}, to[2][0])
}

// docsRead writes what jsonArray writes from the same text values, for
// sets whose rows come apart, NULLs, and text that outgrows its buffer.
func TestDocsReadAsJSONArray(t *testing.T) {
	long := strings.Repeat("long \"text\"\n", 9000) // past the first buffers
	rows := []struct {
		set  int
		text []byte
	}{{0, []byte("a")}, {0, nil}, {1, []byte("é \x01")}, {0, []byte("b")}, {2, []byte(long)}, {2, []byte("")}, {3, []byte(long)}}
	to := make([][]byte, 5)
	d := &docsRead{to: to, set: -1}
	want := make([][]change.Row, 5)
	for _, r := range rows {
		d.add(r.set, r.text)
		var v change.Value
		if r.text != nil {
			v = string(r.text)
		}
		want[r.set] = append(want[r.set], change.Row{v})
	}
	d.flush()
	for set := range to {
		doc, err := jsonArray(want[set])
		require.NoError(t, err)
		require.Equal(t, doc, arrayDoc(to[set]), "set %d", set)
	}
	require.Equal(t, change.JSON(`["a",null,"b"]`), arrayDoc(to[0]))
	require.Equal(t, change.JSON(`[]`), arrayDoc(to[4]))
}
