package lookup

import (
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// converter turns a column's value in the server's text form into the
// change value of its kind (decode.TextValue), keeping NULL as nil.
type converter func(raw []byte) (change.Value, error)

// newConverter returns the converter for col. Errors never quote values.
func newConverter(col change.Column) (converter, error) {
	conv, err := decode.TextValue(col)
	if err != nil {
		return nil, err
	}
	return converter(conv), nil
}

// convert applies c.
func (c converter) convert(raw []byte) (change.Value, error) { return c(raw) }
