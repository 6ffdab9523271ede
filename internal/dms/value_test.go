package dms

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// kindSamples holds a value of the Go type that change documents for every
// Kind.
var kindSamples = map[change.Kind]change.Value{
	change.KindInt:       int64(math.MinInt64),
	change.KindUint:      uint64(math.MaxUint64),
	change.KindFloat:     float32(3.4028235e38),
	change.KindDouble:    float64(5e-324),
	change.KindDecimal:   change.Decimal("-0.0010"),
	change.KindDate:      change.Temporal("0000-00-00"),
	change.KindTime:      change.Temporal("-838:59:59.000000"),
	change.KindDateTime:  change.Temporal("2026-11-21 08:15:02.381466"),
	change.KindTimestamp: change.Temporal("1970-01-01 00:00:01"),
	change.KindYear:      int64(2026),
	change.KindString:    "x",
	change.KindBytes:     []byte{0, 0xff},
	change.KindJSON:      change.JSON(`{"a":[1,"b"]}`),
	change.KindEnum:      "",
	change.KindSet:       "a,b",
	change.KindBit:       uint64(5),
	change.KindGeometry:  []byte{1, 2, 3},
}

func TestEveryKindHasAnEncoding(t *testing.T) {
	var k change.Kind
	for k = change.KindInt; k.String() != "unknown"; k++ {
		v, ok := kindSamples[k]
		require.True(t, ok, "no sample value for kind %s", k)
		out := appendValue(nil, v)
		require.True(t, json.Valid(out), "kind %s: %s", k, out)
	}
	require.Len(t, kindSamples, int(k-change.KindInt), "samples for kinds that do not exist")
}

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		v    change.Value
		want string
	}{
		{"null", nil, `null`},
		{"empty string", "", `""`},
		{"int min", int64(math.MinInt64), `-9223372036854775808`},
		{"int max", int64(math.MaxInt64), `9223372036854775807`},
		{"uint max", uint64(math.MaxUint64), `18446744073709551615`},
		{"uint above int64", uint64(1 << 63), `9223372036854775808`},
		{"float32 shortest", float32(0.1), `0.1`},
		{"float32 max", float32(math.MaxFloat32), `3.4028235e+38`},
		{"double shortest", 0.1, `0.1`},
		{"double tiny", 5e-324, `5e-324`},
		{"double negative zero", math.Copysign(0, -1), `-0`},
		{"double large", 1e21, `1e+21`},
		{"decimal trailing zeros", change.Decimal("-12.3400"), `-12.3400`},
		{"decimal zero scale", change.Decimal("0.00"), `0.00`},
		{"decimal 65 digits", change.Decimal("12345678901234567890123456789012345.123456789012345678901234567890"),
			`12345678901234567890123456789012345.123456789012345678901234567890`},
		{"decimal not a number", change.Decimal("abc"), `"abc"`},
		{"decimal bare fraction", change.Decimal(".5"), `".5"`},
		{"decimal leading zero", change.Decimal("01"), `"01"`},
		{"decimal plus", change.Decimal("+1"), `"+1"`},
		{"decimal dangling point", change.Decimal("1."), `"1."`},
		{"decimal empty", change.Decimal(""), `""`},
		{"date", change.Temporal("2026-11-21"), `"2026-11-21"`},
		{"zero date", change.Temporal("0000-00-00"), `"0000-00-00"`},
		{"time", change.Temporal("-838:59:59"), `"-838:59:59"`},
		{"datetime", change.Temporal("2026-11-21 08:15:02.381466"), `"2026-11-21 08:15:02.381466"`},
		{"json as string", change.JSON(`{"a":"b\n"}`), `"{\"a\":\"b\\n\"}"`},
		{"json null literal", change.JSON(`null`), `"null"`},
		{"bytes base64", []byte{0, 0xfb, 0xff}, `"APv/"`},
		{"empty bytes", []byte{}, `""`},
		{"4-byte utf-8", "😀 𝄞", `"😀 𝄞"`},
		{"2 and 3-byte utf-8", "é 日本", `"é 日本"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"common controls", "\n\r\t", `"\n\r\t"`},
		{"other controls", "\x00\x01\x08\x0c\x1f", `"\u0000\u0001\u0008\u000c\u001f"`},
		{"del stays", "\x7f", "\"\x7f\""},
		{"line separators", "\u2028\u2029", `"\u2028\u2029"`},
		{"invalid utf-8", "a\xffb\xe6\x97", `"a\ufffdb\ufffd\ufffd"`},
		{"surrogate half", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"outside the representation", int32(7), `"7"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendValue(nil, tt.v)
			require.Equal(t, tt.want, string(got))
			require.True(t, json.Valid(got), "%s", got)
		})
	}
}

func TestNumbersDecodeExactly(t *testing.T) {
	for _, v := range []change.Value{
		uint64(math.MaxUint64), int64(math.MinInt64),
		change.Decimal("99999999999999999999999999999999999.999999999999999999999999999999"),
		change.Decimal("-0.000000000000000000000000000001"),
	} {
		rec := decode(t, Append(nil, oneColumn(v), 0, 0, Options{}))
		got := rec["data"].(map[string]any)["v"]
		n, ok := got.(json.Number)
		require.True(t, ok, "%v decoded to %T", v, got)
		require.Equal(t, string(appendValue(nil, v)), string(n))
	}
}

func TestNullIsNotEmpty(t *testing.T) {
	table := &change.Table{Schema: "s", Name: "t", Columns: []change.Column{
		{Name: "null_text", Kind: change.KindString, Nullable: true},
		{Name: "empty_text", Kind: change.KindString},
		{Name: "null_blob", Kind: change.KindBytes, Nullable: true},
		{Name: "empty_blob", Kind: change.KindBytes},
	}}
	txn := &change.Txn{Changes: []change.RowChange{{Table: table, Op: change.Insert,
		After: change.Row{nil, "", nil, []byte{}}}}}
	line := Append(nil, txn, 0, 0, Options{})
	require.Contains(t, string(line), `{"null_text":null,"empty_text":"","null_blob":null,"empty_blob":""}`)
	data := decode(t, line)["data"].(map[string]any)
	require.Len(t, data, 4, "NULL columns are written, not left out")
	require.Nil(t, data["null_text"])
	require.Equal(t, "", data["empty_text"])
}

// TestValuesMatchEnvelope holds the dms encoding of every value except
// DECIMAL to the envelope's, byte for byte.
func TestValuesMatchEnvelope(t *testing.T) {
	values := []change.Value{nil, "", "Ann \"A\" \\ \n\t\x01 é 日本 😀 \u2028\u2029 \xff", 1.5, float32(-2.25)}
	for _, v := range kindSamples {
		values = append(values, v)
	}
	for _, v := range values {
		txn := oneColumn(v)
		var env struct{ After map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(envelope.Append(nil, txn, 0, 0), &env))
		var rec struct{ Data map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(Append(nil, txn, 0, 0, Options{}), &rec))
		if _, ok := v.(change.Decimal); ok {
			// DMS writes numerics as numbers; the envelope as strings.
			require.Equal(t, `"`+string(rec.Data["v"])+`"`, string(env.After["v"]))
			continue
		}
		require.True(t, bytes.Equal(env.After["v"], rec.Data["v"]), "%#v: envelope %s, dms %s", v, env.After["v"], rec.Data["v"])
	}
}

// oneColumn returns a transaction inserting v into a one-column table.
func oneColumn(v change.Value) *change.Txn {
	table := &change.Table{Schema: "s", Name: "t", Columns: []change.Column{{Name: "v", Nullable: true}}}
	return &change.Txn{Changes: []change.RowChange{{Table: table, Op: change.Insert, After: change.Row{v}}}}
}
