package lookup

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// converter turns a column's value in the server's text form into the
// change value of its kind. raw is nil for NULL and may be the driver's
// buffer, so converters copy what they keep.
type converter func(raw []byte) (change.Value, error)

// newConverter returns the converter for col. Errors never quote values.
func newConverter(col change.Column) (converter, error) {
	switch col.Kind {
	case change.KindInt, change.KindYear:
		return func(raw []byte) (change.Value, error) {
			n, err := strconv.ParseInt(string(raw), 10, 64)
			return n, numError(err)
		}, nil
	case change.KindUint:
		return func(raw []byte) (change.Value, error) {
			n, err := strconv.ParseUint(string(raw), 10, 64)
			return n, numError(err)
		}, nil
	case change.KindFloat:
		// selectExpr reads FLOAT as a DOUBLE: the server prints FLOAT with
		// six significant digits, which loses bits the binlog keeps.
		return func(raw []byte) (change.Value, error) {
			f, err := strconv.ParseFloat(string(raw), 64)
			return float32(f), numError(err)
		}, nil
	case change.KindDouble:
		return func(raw []byte) (change.Value, error) {
			f, err := strconv.ParseFloat(string(raw), 64)
			return f, numError(err)
		}, nil
	case change.KindDecimal:
		return func(raw []byte) (change.Value, error) { return change.Decimal(raw), nil }, nil
	case change.KindDate, change.KindTime, change.KindDateTime, change.KindTimestamp:
		fsp := precision(col.Type)
		return func(raw []byte) (change.Value, error) {
			return decode.Temporal(string(raw), fsp), nil
		}, nil
	case change.KindString, change.KindEnum, change.KindSet:
		return func(raw []byte) (change.Value, error) { return string(raw), nil }, nil
	case change.KindJSON:
		return func(raw []byte) (change.Value, error) { return change.JSON(raw), nil }, nil
	case change.KindBytes, change.KindGeometry:
		return func(raw []byte) (change.Value, error) { return bytes.Clone(raw), nil }, nil
	case change.KindBit:
		return bitValue, nil
	}
	return nil, fmt.Errorf("type %s has no known kind", col.Type)
}

// convert applies c, keeping NULL as nil.
func (c converter) convert(raw []byte) (change.Value, error) {
	if raw == nil {
		return nil, nil
	}
	return c(raw)
}

// numError drops the value strconv quotes in its errors.
func numError(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("reading a number: %w", ne.Err)
	}
	return err
}

// bitValue reads BIT(N), which the server sends as big-endian bytes.
func bitValue(raw []byte) (change.Value, error) {
	if len(raw) > 8 {
		return nil, fmt.Errorf("reading a BIT value of %d bytes", len(raw))
	}
	var n uint64
	for _, b := range raw {
		n = n<<8 | uint64(b)
	}
	return n, nil
}

// precision returns the fractional seconds precision in a type such as
// "datetime(6)", or 0.
func precision(typ string) int {
	_, rest, ok := strings.Cut(typ, "(")
	if !ok {
		return 0
	}
	digits, _, _ := strings.Cut(rest, ")")
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0
	}
	return n
}
