package expect

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var null = sql.NullString{}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		v    values
		want string
	}{
		{name: "plain", v: values{text("1"), text("a@x")}, want: "1\ta@x"},
		{name: "NULL and empty", v: values{text("1"), null, text("")}, want: "1\t\\N\t"},
		{name: "literal backslash N", v: values{text(`\N`)}, want: `\\N`},
		{name: "tab", v: values{text("a\tb")}, want: `a\tb`},
		{name: "newlines", v: values{text("a\nb\r\n")}, want: `a\nb\r\n`},
		{name: "backslash before t", v: values{text(`a\tb`)}, want: `a\\tb`},
		{name: "UTF-8", v: values{text("茶 😀")}, want: "茶 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, render(tt.v))
		})
	}
}

// unrender undoes render, to show that distinct rows render distinctly.
func unrender(s string) values {
	var v values
	for f := range strings.SplitSeq(s, "\t") {
		if f == `\N` {
			v = append(v, null)
			continue
		}
		var b strings.Builder
		for i := 0; i < len(f); i++ {
			if f[i] != '\\' || i+1 == len(f) {
				b.WriteByte(f[i])
				continue
			}
			i++
			b.WriteByte(map[byte]byte{'\\': '\\', 't': '\t', 'n': '\n', 'r': '\r'}[f[i]])
		}
		v = append(v, text(b.String()))
	}
	return v
}

func FuzzRender(f *testing.F) {
	f.Add("a", false, "", true)
	f.Add(`\N`, false, "\t\\", false)
	f.Fuzz(func(t *testing.T, a string, aNull bool, b string, bNull bool) {
		v := values{{String: a, Valid: !aNull}, {String: b, Valid: !bNull}}
		for i := range v {
			if !v[i].Valid {
				v[i].String = ""
			}
		}
		require.Equal(t, v, unrender(render(v)))
	})
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   sql.NullString
		want sql.NullString
	}{
		{name: "NULL", in: null, want: null},
		{name: "spacing", in: text(`[ "a",  "b" ]`), want: text(`["a","b"]`)},
		{name: "key order", in: text(`{"b": 1, "a": [2]}`), want: text(`{"a":[2],"b":1}`)},
		{name: "escapes", in: text(`["\u00e9\"x"]`), want: text(`["é\"x"]`)},
		{name: "empty array", in: text(`[]`), want: text(`[]`)},
		{name: "not JSON", in: text(`[1,`), want: text(`[1,`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, canonicalJSON(tt.in))
		})
	}
}

func TestDiff(t *testing.T) {
	rows := func(texts ...string) []row {
		var rs []row
		for _, s := range texts {
			r, err := newRow(unrender(s))
			require.NoError(t, err)
			rs = append(rs, r)
		}
		return rs
	}
	tests := []struct {
		name       string
		want, got  []row
		missing    []string
		unexpected []string
	}{
		{name: "both empty"},
		{name: "equal, in any order", want: rows("10\ta", "9\tb"), got: rows("9\tb", "10\ta")},
		{name: "missing", want: rows("9\tb", "10\ta", "11\tc"), got: rows("9\tb", "11\tc"), missing: []string{"10\ta"}},
		{name: "unexpected", want: rows("9\tb"), got: rows("9\tb", "100\tz"), unexpected: []string{"100\tz"}},
		{
			name: "changed", want: rows("1\t\\N", "2\tx"), got: rows("1\t", "2\tx"),
			missing: []string{"1\t\\N"}, unexpected: []string{"1\t"},
		},
		{
			name: "sorted by numeric id", want: rows("10\ta", "9\tb"), got: nil,
			missing: []string{"9\tb", "10\ta"},
		},
		{
			name: "duplicate id", want: rows("1\ta"), got: rows("1\ta", "1\tb"),
			unexpected: []string{"1\tb"},
		},
		{
			name: "at most five kept", want: rows("1\ta", "2\ta", "3\ta", "4\ta", "5\ta", "6\ta", "7\ta"), got: rows("7\ta"),
			missing: []string{"1\ta", "2\ta", "3\ta", "4\ta", "5\ta"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diff("global.t", tt.want, tt.got)
			require.Equal(t, Diff{
				Table: "global.t", Missing: tt.missing, Unexpected: tt.unexpected,
				Want: len(tt.want), Got: len(tt.got),
			}, d)
			require.Equal(t, tt.missing == nil && tt.unexpected == nil, d.Equal())
		})
	}
}

func TestNewRowBadID(t *testing.T) {
	_, err := newRow(values{text("x")})
	require.ErrorContains(t, err, `parsing id "x"`)
}
