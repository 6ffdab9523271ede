package decode

import (
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
)

var errPartialJSON = errors.New("partial JSON update cannot be decoded to a document (set binlog_row_value_options='')")

// value converts one non-NULL value as go-mysql decoded it into the Go type
// the column's kind prescribes. Errors never include the value itself.
//
// A value go-mysql decoded as the very type and value the kind prescribes
// is returned as it came, in the interface it came in: converting it
// again would put a copy of it on the heap, as converting any string or
// integer of 256 and up does.
func (c *column) value(v any) (change.Value, error) {
	switch c.kind {
	case change.KindInt, change.KindYear:
		if _, ok := v.(int64); ok {
			return v, nil
		}
		return signedValue(v)
	case change.KindUint:
		if _, ok := v.(uint64); ok {
			return v, nil
		}
		return unsignedValue(v, c.width)
	case change.KindFloat:
		if _, ok := v.(float32); ok {
			return v, nil
		}
	case change.KindDouble:
		if _, ok := v.(float64); ok {
			return v, nil
		}
	case change.KindDecimal:
		if s, ok := v.(string); ok {
			return change.Decimal(s), nil
		}
	case change.KindDate, change.KindTime, change.KindDateTime, change.KindTimestamp:
		if packed, ok := v.(int64); ok {
			return packedTemporal(c.binlogType, uint64(packed), c.fsp), nil // see packed.go
		}
		return temporalValue(v, c.fsp)
	case change.KindString:
		if _, ok := v.(string); ok && c.decode == nil {
			return v, nil
		}
		return c.text(v)
	case change.KindJSON:
		return c.json(v)
	case change.KindBytes, change.KindGeometry:
		if b, ok := v.([]byte); ok && len(b) >= c.pad {
			return v, nil
		}
		return bytesValue(v, c.pad)
	case change.KindEnum:
		return enumName(c.members, v)
	case change.KindSet:
		return setNames(c.members, v)
	case change.KindBit:
		if b, ok := v.(int64); ok {
			return uint64(b), nil
		}
	}
	return nil, fmt.Errorf("unexpected %T for a %s column (is the parser set up with ConfigureParser?)", v, c.kind)
}

// text converts CHAR/VARCHAR (a string from go-mysql) and TEXT (bytes) to
// UTF-8.
func (c *column) text(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return stringToUTF8(c.decode, x)
	case []byte:
		return toUTF8(c.decode, x)
	}
	return "", fmt.Errorf("unexpected %T for a text column", v)
}

// json returns a MySQL JSON document (rendered to text by go-mysql) or a
// MariaDB one (LONGTEXT bytes) as change.JSON.
func (c *column) json(v any) (change.JSON, error) {
	switch x := v.(type) {
	case string:
		return change.JSON(x), nil
	case []byte:
		if len(x) == 0 && c.binlogType == mysql.MYSQL_TYPE_JSON {
			// MySQL stores an empty binary document for '' inserted in
			// non-strict mode and reads it back as the JSON null literal.
			return "null", nil
		}
		s, err := toUTF8(c.decode, x)
		return change.JSON(s), err
	case *replication.JsonDiff:
		return "", errPartialJSON
	}
	return "", fmt.Errorf("unexpected %T for a json column", v)
}

// bytesValue returns a binary value, padded with zero bytes to pad (the N
// of BINARY(N)) when shorter. A string from go-mysql shares the event's
// memory and is copied; a []byte is returned as it is.
func bytesValue(v any, pad int) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return nil, fmt.Errorf("unexpected %T for a binary column", v)
	}
	if len(b) < pad {
		padded := make([]byte, pad)
		copy(padded, b)
		b = padded
	}
	return b, nil
}
