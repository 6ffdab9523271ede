package dms

import (
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// appendValue appends v as JSON: as the envelope does, except DECIMAL,
// which DMS consumers read as a number (see appendDecimal).
func appendValue(dst []byte, v change.Value) []byte {
	if d, ok := v.(change.Decimal); ok {
		return appendDecimal(dst, string(d))
	}
	return envelope.AppendValue(dst, v)
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
