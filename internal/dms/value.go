package dms

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
)

// appendValue appends v as JSON: as the envelope does, except DECIMAL (see
// appendDecimal). Types outside change's value representation are written
// as their fmt text so the output stays valid.
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
		return appendDecimal(dst, string(v)), true
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

// appendDecimal appends a DECIMAL as a JSON number with exactly the
// server's digits ("-12.3400" stays "-12.3400"), as DMS writes numerics.
// Text that is not a JSON number, which the server never produces, is
// written as a string so the record stays valid.
func appendDecimal(dst []byte, d string) []byte {
	if isNumber(d) {
		return append(dst, d...)
	}
	return appendString(dst, d)
}

// isNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(s, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if j := digits(s, i); j > i {
			i = j
		} else {
			return false
		}
	}
	return i == len(s)
}

// digits returns the index of the first non-digit of s at or after i.
func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// appendFloat appends the shortest text that parses back to f at the given
// bit size. MySQL cannot store NaN or infinities; should one appear it
// becomes the string "NaN", "+Inf" or "-Inf", as in the envelope.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
		return append(dst, '"')
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}
