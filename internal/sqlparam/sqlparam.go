// Package sqlparam owns how a change value is sent as a parameter of a
// query that compares it with a column.
package sqlparam

import (
	"regexp"

	"github.com/tributary-cdc/tributary/internal/change"
)

// decimalLiteral matches the server's text form of a DECIMAL.
var decimalLiteral = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// PlainDecimal reports whether d is nothing but the server's text form of
// a DECIMAL (digits, a sign, a point), so it can be written into SQL or
// JSON as a number.
func PlainDecimal(d change.Decimal) bool { return decimalLiteral.MatchString(string(d)) }

// Placeholder returns the SQL that stands for v in a query and the
// argument it takes, if any. The driver interpolates arguments as quoted
// strings, and the server compares a DECIMAL column with a string as a
// DOUBLE, which confuses neighbouring large or precise values; a DECIMAL
// is therefore written as a numeric literal (exact), after checking it is
// nothing but digits. A FLOAT is sent as its exact double, which is how
// the server compares a FLOAT column. The argument's type is one the
// driver knows.
func Placeholder(v change.Value) (string, any) {
	switch v := v.(type) {
	case change.Decimal:
		if PlainDecimal(v) {
			return string(v), nil
		}
		return "?", string(v)
	case change.Temporal:
		return "?", string(v)
	case change.JSON:
		return "?", string(v)
	case float32:
		return "?", float64(v)
	}
	return "?", v
}
