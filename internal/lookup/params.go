package lookup

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"

	"github.com/tributary-cdc/tributary/internal/change"
)

// appendKey appends an unambiguous encoding of vals: per value a type tag,
// then 8 bytes for numbers or a length and the bytes for text, so two
// parameter sets share a key only when every value has the same type and
// content.
func appendKey(dst []byte, vals []change.Value) ([]byte, error) {
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			dst = append(dst, 'n')
		case int64:
			dst = binary.BigEndian.AppendUint64(append(dst, 'i'), uint64(v))
		case uint64:
			dst = binary.BigEndian.AppendUint64(append(dst, 'u'), v)
		case float32:
			dst = binary.BigEndian.AppendUint32(append(dst, 'f'), math.Float32bits(v))
		case float64:
			dst = binary.BigEndian.AppendUint64(append(dst, 'd'), math.Float64bits(v))
		case string:
			dst = appendText(dst, 's', v)
		case change.Decimal:
			dst = appendText(dst, 'D', string(v))
		case change.Temporal:
			dst = appendText(dst, 'T', string(v))
		case change.JSON:
			dst = appendText(dst, 'J', string(v))
		case []byte:
			dst = appendText(dst, 'b', string(v))
		default:
			return nil, fmt.Errorf("value %d has type %T, which is not a column value", i+1, v)
		}
	}
	return dst, nil
}

// appendText appends a tag, the length of s and s.
func appendText(dst []byte, tag byte, s string) []byte {
	dst = binary.AppendUvarint(append(dst, tag), uint64(len(s)))
	return append(dst, s...)
}

// hasNull reports whether a parameter set holds a NULL, which equals
// nothing, so the set matches no row without asking the server.
func hasNull(vals []change.Value) bool {
	for _, v := range vals {
		if v == nil {
			return true
		}
	}
	return false
}

// decimalLiteral matches the server's text form of a DECIMAL.
var decimalLiteral = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// placeholder returns the SQL that stands for v in a query and the
// argument it takes, if any. The driver interpolates arguments as quoted
// strings, and the server compares a DECIMAL column with a string as a
// DOUBLE, which confuses neighbouring large or precise values; a DECIMAL
// is therefore written as a numeric literal (exact), after checking it is
// nothing but digits. The argument's type is one the driver knows.
func placeholder(v change.Value) (string, any) {
	switch v := v.(type) {
	case change.Decimal:
		if decimalLiteral.MatchString(string(v)) {
			return string(v), nil
		}
		return "?", string(v)
	case change.Temporal:
		return "?", string(v)
	case change.JSON:
		return "?", string(v)
	case float32:
		// The server compares a FLOAT column as a DOUBLE, so the exact
		// double of the float is what equals it.
		return "?", float64(v)
	}
	return "?", v
}
