package decode

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TextValue returns the function that turns a value of col, as a query
// returns it in the text protocol, into the change value the binlog decoder
// gives for the same value. The session must read TIMESTAMPs in UTC, text
// in utf8mb4 and times as text (the settings of a source's DSN), and a
// FLOAT must be selected through SelectColumn. raw is nil for NULL, which
// stays nil, and may be the driver's buffer: the function copies what it
// keeps. Its errors never quote the value.
func TextValue(col change.Column) (func(raw []byte) (change.Value, error), error) {
	conv, err := textConverter(col)
	if err != nil {
		return nil, err
	}
	return func(raw []byte) (change.Value, error) {
		if raw == nil {
			return nil, nil
		}
		return conv(raw)
	}, nil
}

// SelectColumn returns the select-list expression that reads column expr
// (a quoted name, qualified or not) of the given kind for TextValue. A
// FLOAT is read as its exact DOUBLE: the server prints FLOAT with six
// significant digits, which loses bits the binlog keeps.
func SelectColumn(expr string, kind change.Kind) string {
	if kind == change.KindFloat {
		return expr + " + 0e0"
	}
	return expr
}

func textConverter(col change.Column) (func(raw []byte) (change.Value, error), error) {
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
			return Temporal(string(raw), fsp), nil
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

// numError drops the value strconv quotes in its errors. It returns
// early on nil: the target of errors.As lives on the heap, and this runs
// for every number a lookup reads.
func numError(err error) error {
	if err == nil {
		return nil
	}
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
