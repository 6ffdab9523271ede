package envelope

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// kindSamples holds a value of the Go type that change documents for every
// Kind.
var kindSamples = map[change.Kind]change.Value{
	change.KindInt:       int64(-9223372036854775808),
	change.KindUint:      uint64(18446744073709551615),
	change.KindFloat:     float32(3.4028235e38),
	change.KindDouble:    float64(5e-324),
	change.KindDecimal:   change.Decimal("-0.0010"),
	change.KindDate:      change.Temporal("2026-02-28"),
	change.KindTime:      change.Temporal("838:59:59"),
	change.KindDateTime:  change.Temporal("2026-02-28 23:59:59.5"),
	change.KindTimestamp: change.Temporal("1970-01-01 00:00:01"),
	change.KindYear:      int64(0),
	change.KindString:    "x",
	change.KindBytes:     []byte("x"),
	change.KindJSON:      change.JSON(`[]`),
	change.KindEnum:      "",
	change.KindSet:       "a,b",
	change.KindBit:       uint64(5),
	change.KindGeometry:  []byte{1},
}

func TestEveryKindHasAnEncoding(t *testing.T) {
	var k change.Kind
	for k = change.KindInt; k.String() != "unknown"; k++ {
		v, ok := kindSamples[k]
		require.True(t, ok, "no sample value for kind %s", k)
		out, known := appendKnown(nil, v)
		require.True(t, known, "kind %s: %T falls back to fmt", k, v)
		require.True(t, json.Valid(out), "kind %s: %s", k, out)
	}
	require.Len(t, kindSamples, int(k-change.KindInt), "samples for kinds that do not exist")
	out, known := appendKnown(nil, nil)
	require.True(t, known)
	require.Equal(t, "null", string(out))
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		v    change.Value
		want string
	}{
		{"null", nil, `null`},
		{"int min", int64(math.MinInt64), `-9223372036854775808`},
		{"uint max", uint64(math.MaxUint64), `18446744073709551615`},
		{"float32 shortest", float32(0.1), `0.1`},
		{"float32 max", float32(math.MaxFloat32), `3.4028235e+38`},
		{"float32 negative zero", float32(math.Copysign(0, -1)), `-0`},
		{"float64 shortest", 0.1, `0.1`},
		{"float64 large", 1e21, `1e+21`},
		{"float64 tiny", 5e-324, `5e-324`},
		{"float64 NaN", math.NaN(), `"NaN"`},
		{"float64 +Inf", math.Inf(1), `"+Inf"`},
		{"float32 -Inf", float32(math.Inf(-1)), `"-Inf"`},
		{"decimal", change.Decimal("-12.3400"), `"-12.3400"`},
		{"temporal", change.Temporal("0000-00-00 00:00:00"), `"0000-00-00 00:00:00"`},
		{"json document as text", change.JSON(`{"k":"v"}`), `"{\"k\":\"v\"}"`},
		{"empty string", "", `""`},
		{"string NULL", "NULL", `"NULL"`},
		{"bytes", []byte("\x00\x01\x02"), `"AAEC"`},
		{"empty bytes", []byte{}, `""`},
		{"other type", int32(7), `"7"`},
		{"other type needing escapes", struct{ S string }{"a\"b"}, `"{a\"b}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendValue(nil, tt.v)
			require.Equal(t, tt.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "abc", `"abc"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"named controls", "\n\r\t", `"\n\r\t"`},
		{"other controls", "\x00\x08\x0c\x1f\x7f", `"\u0000\u0008\u000c\u001f` + "\x7f" + `"`},
		{"two and three byte", "é日", `"é日"`},
		{"four byte", "😀𝄞", `"😀𝄞"`},
		{"line separators", "a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"html stays", "<a&b>", `"<a&b>"`},
		{"invalid byte", "a\xffb", `"a\ufffdb"`},
		{"truncated rune", "\xe6\x97", `"\ufffd\ufffd"`},
		{"surrogate half", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"valid U+FFFD kept", "\ufffd", "\"\ufffd\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendString(nil, tt.in)
			require.Equal(t, tt.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
}

func TestAppendTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"utc micro", time.Date(2026, 11, 22, 3, 56, 48, 123456000, time.UTC), `"2026-11-22T03:56:48.123456Z"`},
		{"nanos truncated", time.Date(2026, 1, 1, 0, 0, 0, 999999999, time.UTC), `"2026-01-01T00:00:00.999999Z"`},
		{"whole second", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), `"2026-01-01T00:00:00.000000Z"`},
		{"converted to utc", time.Date(2026, 3, 29, 3, 0, 0, 1000, time.FixedZone("CEST", 2*3600)), `"2026-03-29T01:00:00.000001Z"`},
		{"zero time", time.Time{}, `"0001-01-01T00:00:00.000000Z"`},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), `"9999-12-31T23:59:59.000000Z"`},
		{"year beyond RFC 3339", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), `"10000-01-01T00:00:00.000000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendTime(nil, tt.in)
			require.Equal(t, tt.want, string(got))
			if tt.in.Year() <= 9999 {
				var back time.Time
				require.NoError(t, json.Unmarshal(got, &back))
				require.True(t, tt.in.Truncate(time.Microsecond).Equal(back))
			}
		})
	}
}
