package change

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AppendKey appends an unambiguous encoding of vals: per value a type tag,
// then 8 bytes for numbers or a length and the bytes for text, so two
// value lists encode alike only when every value has the same type and the
// same bytes. Values are compared exactly, as the server stored them.
func AppendKey(dst []byte, vals []Value) ([]byte, error) {
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
		case Decimal:
			dst = appendText(dst, 'D', string(v))
		case Temporal:
			dst = appendText(dst, 'T', string(v))
		case JSON:
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
