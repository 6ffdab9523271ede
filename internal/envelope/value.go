package envelope

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// appendValue appends v as JSON. Types outside change's value
// representation are written as their fmt text so the output stays valid.
func appendValue(dst []byte, v change.Value) []byte {
	if out, ok := appendKnown(dst, v); ok {
		return out
	}
	return appendString(dst, fmt.Sprint(v))
}

// appendKnown appends v when its dynamic type is one that a column Kind
// decodes to, and reports whether it was.
func appendKnown(dst []byte, v change.Value) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case int64:
		return strconv.AppendInt(dst, v, 10), true
	case uint64:
		return strconv.AppendUint(dst, v, 10), true
	case float32:
		return appendFloat(dst, float64(v), 32), true
	case float64:
		return appendFloat(dst, v, 64), true
	case string:
		return appendString(dst, v), true
	case change.Decimal:
		return appendString(dst, string(v)), true
	case change.Temporal:
		return appendString(dst, string(v)), true
	case change.JSON:
		return appendString(dst, string(v)), true
	case []byte:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, '"'), true
	}
	return dst, false
}

// appendFloat appends the shortest text that parses back to f at the given
// bit size. JSON has no NaN or infinities; those become the strings "NaN",
// "+Inf" and "-Inf".
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
		return append(dst, '"')
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// AppendValue appends v as the envelope writes a column value, for other
// formats that must encode values the same way.
func AppendValue(dst []byte, v change.Value) []byte { return appendValue(dst, v) }

// AppendString appends s as a JSON string, as the envelope writes strings.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// AppendTime appends t in UTC with microseconds and a Z, as a JSON string,
// as the envelope writes commit times.
func AppendTime(dst []byte, t time.Time) []byte { return appendTime(dst, t) }
