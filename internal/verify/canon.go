package verify

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Canonical encoding.
//
// A value is compared as the target column would hold it: an expected
// value (what the mapping computes, typed by the source) is first brought
// to the target column's type (an integer's digits, a DECIMAL at the
// column's scale, a temporal value at its fraction digits, CHAR without
// trailing spaces, BINARY(N) with its zero padding, a JSON document
// re-encoded), and a value read from the target goes through the same
// function. Each encoding starts with a tag, so NULL, "" and "NULL" never
// meet. Values that cannot be brought to the column's type keep a tag of
// their own and so differ from anything the column can hold.

// canonFunc encodes a value for one target column.
type canonFunc func(v change.Value) string

// nullCanon is the encoding of NULL.
const nullCanon = "\x00"

// canonFor returns the encoding of values for col.
func canonFor(col change.Column) canonFunc {
	typ := strings.ToLower(col.Type)
	switch col.Kind {
	case change.KindInt, change.KindUint, change.KindYear, change.KindBit:
		return wrap(canonInt)
	case change.KindFloat:
		return wrap(func(v change.Value) string { return canonFloat(v, 32) })
	case change.KindDouble:
		return wrap(func(v change.Value) string { return canonFloat(v, 64) })
	case change.KindDecimal:
		scale := decimalScale(typ)
		return wrap(func(v change.Value) string { return canonDecimal(v, scale) })
	case change.KindDate, change.KindTime, change.KindDateTime, change.KindTimestamp:
		fsp := fraction(typ)
		date := col.Kind == change.KindDate
		return wrap(func(v change.Value) string { return canonTemporal(v, fsp, date) })
	case change.KindString, change.KindEnum, change.KindSet:
		char := strings.HasPrefix(typ, "char")
		return wrap(func(v change.Value) string {
			s := "s" + text(v)
			if char {
				s = strings.TrimRight(s, " ")
			}
			return s
		})
	case change.KindJSON:
		return wrap(canonJSON)
	case change.KindBytes, change.KindGeometry:
		pad := 0
		if strings.HasPrefix(typ, "binary(") {
			pad = width(typ)
		}
		return wrap(func(v change.Value) string {
			s := text(v)
			if len(s) < pad {
				s += strings.Repeat("\x00", pad-len(s))
			}
			return "b" + s
		})
	}
	return wrap(func(v change.Value) string { return "?" + text(v) })
}

// wrap handles NULL for f.
func wrap(f canonFunc) canonFunc {
	return func(v change.Value) string {
		if v == nil {
			return nullCanon
		}
		return f(v)
	}
}

// text returns v's text form.
func text(v change.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case change.Decimal:
		return string(x)
	case change.Temporal:
		return string(x)
	case change.JSON:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "\x01unknown"
}

// canonInt encodes a value of an integer column.
func canonInt(v change.Value) string {
	switch x := v.(type) {
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case uint64:
		return "i" + strconv.FormatUint(x, 10)
	}
	// A fraction is rounded half away from zero, as the server stores it.
	if d := canonDecimal(v, 0); d[0] == 'd' {
		return "i" + d[1:]
	}
	return "?" + text(v)
}

// canonFloat encodes a value of a FLOAT (bits 32) or DOUBLE column.
func canonFloat(v change.Value, bits int) string {
	var f float64
	switch x := v.(type) {
	case float32:
		f = float64(x)
	case float64:
		f = x
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	default:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(text(v)), 64); err != nil {
			return "?" + text(v)
		}
	}
	if bits == 32 {
		f = float64(float32(f))
	}
	return "f" + strconv.FormatFloat(f, 'g', -1, bits)
}

// canonDecimal encodes a value of a DECIMAL column of the given scale,
// rounding half away from zero as the server does.
func canonDecimal(v change.Value, scale int) string {
	var r big.Rat
	switch x := v.(type) {
	case int64:
		r.SetInt64(x)
	case uint64:
		r.SetUint64(x)
	default:
		// A float is sent to the server as its shortest decimal text,
		// which the server rounds: 1.005 is 1.01 at scale 2, although
		// the nearest double is a little below 1.005.
		if _, ok := r.SetString(strings.TrimSpace(text(v))); !ok {
			return "?" + text(v)
		}
	}
	neg := r.Sign() < 0
	r.Abs(&r)
	// round(|r| * 10^scale) half up, then place the point.
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	num := new(big.Int).Mul(r.Num(), pow)
	num.Mul(num, big.NewInt(2))
	num.Add(num, r.Denom())
	num.Quo(num, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	digits := num.String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	out := digits
	if scale > 0 {
		out = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg && num.Sign() != 0 {
		out = "-" + out
	}
	return "d" + out
}

// canonTemporal encodes a temporal value with fsp fraction digits
// (truncated, as MariaDB stores extra digits by default, or padded).
func canonTemporal(v change.Value, fsp int, date bool) string {
	s := strings.TrimSpace(text(v))
	if date {
		if d, _, ok := strings.Cut(s, " "); ok {
			s = d
		}
		return "t" + s
	}
	whole, frac, _ := strings.Cut(s, ".")
	if fsp == 0 {
		return "t" + whole
	}
	if len(frac) > fsp {
		frac = frac[:fsp]
	}
	return "t" + whole + "." + frac + strings.Repeat("0", fsp-len(frac))
}

// canonJSON encodes a JSON document by its meaning: object keys sorted,
// no insignificant spaces, numbers as written.
func canonJSON(v change.Value) string {
	dec := json.NewDecoder(strings.NewReader(text(v)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "?" + text(v)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "?" + text(v)
	}
	return "j" + strings.TrimSuffix(b.String(), "\n")
}

// decimalScale returns the scale of a type such as "decimal(10,2)".
func decimalScale(typ string) int {
	_, rest, ok := strings.Cut(typ, ",")
	if !ok {
		return 0
	}
	digits, _, _ := strings.Cut(rest, ")")
	n, _ := strconv.Atoi(strings.TrimSpace(digits))
	return n
}

// fraction returns the fraction digits of a type such as "datetime(6)".
func fraction(typ string) int { return width(typ) }

// width returns the number in parentheses of a type such as "binary(16)".
func width(typ string) int {
	_, rest, ok := strings.Cut(typ, "(")
	if !ok {
		return 0
	}
	digits, _, _ := strings.Cut(rest, ")")
	digits, _, _ = strings.Cut(digits, ",")
	n, _ := strconv.Atoi(strings.TrimSpace(digits))
	return n
}
