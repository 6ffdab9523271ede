package change

import "bytes"

// Value is one column value. Its dynamic type is fixed by the column's Kind
// (see the Kind constants); NULL is nil.
type Value = any

// Decimal is an exact DECIMAL value in the server's text form ("-12.3400").
type Decimal string

// Temporal is a DATE, TIME, DATETIME or TIMESTAMP value in MySQL's text form,
// with as many fractional digits as the column's precision. Text keeps zero
// dates and out-of-range TIME values that time.Time cannot hold.
type Temporal string

// JSON is a JSON document as text, exactly as the source stores it.
type JSON string

// Equal reports whether two values of the same column are identical.
func Equal(a, b Value) bool {
	switch av := a.(type) {
	case nil:
		return b == nil
	case []byte:
		bv, ok := b.([]byte)
		return ok && bytes.Equal(av, bv)
	default:
		return a == b
	}
}

// Plain returns v as plain Go values, the way expressions see it: the text
// kinds (Decimal, Temporal, JSON) and binary values as string, everything
// else as it is.
func Plain(v Value) any {
	switch x := v.(type) {
	case Decimal:
		return string(x)
	case Temporal:
		return string(x)
	case JSON:
		return string(x)
	case []byte:
		return string(x)
	}
	return v
}
