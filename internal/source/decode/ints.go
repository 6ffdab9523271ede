package decode

import (
	"errors"
	"fmt"
)

// signedValue returns an integer that go-mysql decoded as any integer type
// as int64. Unsigned types appear when the table map's signedness says
// UNSIGNED but the column is treated as signed; a value beyond int64 is an
// error.
func signedValue(v any) (int64, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > 1<<63-1 {
			return 0, errors.New("unsigned value out of range for a signed column")
		}
		return int64(x), nil
	}
	return 0, fmt.Errorf("unexpected %T for an integer column", v)
}

// unsignedValue returns an UNSIGNED integer column's value as uint64.
// go-mysql decodes integers as signed unless the table map carries
// signedness metadata; width is the column's size in bytes (1, 2, 3, 4 or
// 8) and tells how to reinterpret the signed bits: TINYINT UNSIGNED 255
// arrives as int8(-1), MEDIUMINT UNSIGNED 16777215 as int32(-1).
func unsignedValue(v any, width int) (uint64, error) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case int8, int16, int32, int64, int:
		s, _ := signedValue(x)
		if width >= 8 {
			return uint64(s), nil
		}
		return uint64(s) & (1<<(8*width) - 1), nil
	}
	return 0, fmt.Errorf("unexpected %T for an unsigned integer column", v)
}
