package lookup

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/sqlparam"
)

// jsonArray returns the first value of every row as a JSON array, in row
// order ("[]" without rows). Numbers (integers, floats, DECIMAL digits,
// BIT, YEAR) are JSON numbers; strings, ENUM, SET and temporal text are
// JSON strings; JSON documents are embedded as they are; NULL is null;
// bytes are base64 strings, as in the JSON envelope, because binary
// columns need not hold text.
func jsonArray(rows []change.Row) (change.JSON, error) {
	buf := make([]byte, 1, arraySize(rows))
	buf[0] = '['
	for i, row := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendJSON(buf, row[0]); err != nil {
			return "", err
		}
	}
	return arrayDoc(append(buf, ']')), nil
}

// arrayDoc returns doc, a JSON array that nothing writes to any more
// (jsonArray's, or the one docsRead wrote for a set), as a document that
// shares its bytes; "[]" for nil, a set without rows.
func arrayDoc(doc []byte) change.JSON {
	if doc == nil {
		return "[]"
	}
	return change.JSON(unsafe.String(unsafe.SliceData(doc), len(doc)))
}

// arraySize returns the length of jsonArray's document for rows, with
// room for some of their text to be escaped: its buffer is allocated
// once unless text needs more escapes than that.
func arraySize(rows []change.Row) int {
	n := 2 + len(rows)
	for _, row := range rows {
		switch v := row[0].(type) {
		case string:
			n += 2 + len(v)
		case change.Temporal:
			n += 2 + len(v)
		case change.JSON:
			n += len(v)
		case change.Decimal:
			n += len(v)
		case []byte:
			n += 2 + base64.StdEncoding.EncodedLen(len(v))
		default:
			n += 24 // a number, null
		}
	}
	return n + n/8
}

// appendJSON appends v as a JSON value. Errors never quote v.
func appendJSON(dst []byte, v change.Value) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case float32:
		return appendFloat(dst, float64(v), 32)
	case float64:
		return appendFloat(dst, v, 64)
	case change.Decimal:
		if !sqlparam.PlainDecimal(v) {
			return nil, errors.New("a DECIMAL value is not plain digits")
		}
		return append(dst, v...), nil
	case string:
		return envelope.AppendString(dst, v), nil
	case change.Temporal:
		return envelope.AppendString(dst, string(v)), nil
	case change.JSON:
		if !json.Valid([]byte(v)) {
			return nil, errors.New("a JSON value is not a valid document")
		}
		return append(dst, v...), nil
	case []byte:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, '"'), nil
	}
	return nil, fmt.Errorf("a value has type %T, which is not a column value", v)
}

// appendFloat appends the shortest text that parses back to f at the
// given bit size; the server stores no NaN or infinity.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("a floating point value is not finite")
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits), nil
}
