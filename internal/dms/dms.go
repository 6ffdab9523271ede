package dms

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Values of Options.PartitionKeyType.
const (
	PartitionKeyPrimaryKey  = "primary-key"
	PartitionKeySchemaTable = "schema-table"
)

// DefaultBeforeImageField is the before image's field name when
// Options.BeforeImageField is empty.
const DefaultBeforeImageField = "before-image"

// ErrInvalidOptions is wrapped by the errors of Options.Validate.
var ErrInvalidOptions = errors.New("invalid dms options")

// Options tune the dms layout. The zero value is DMS's default layout.
type Options struct {
	// BeforeImage adds the before image of updates under BeforeImageField,
	// as DMS's BeforeImageSettings with EnableBeforeImage do.
	BeforeImage bool
	// BeforeImageField names the before image; empty means
	// DefaultBeforeImageField.
	BeforeImageField string
	// PartitionKeyType is written as metadata "partition-key-type":
	// PartitionKeyPrimaryKey (empty means it) or PartitionKeySchemaTable.
	// It only labels the record; the sink chooses the Kinesis partition key.
	PartitionKeyType string
	// TransactionDetails adds "transaction-record-id" and
	// "commit-timestamp" (DMS's IncludeTransactionDetails). DMS's
	// "prev-transaction-id" and "prev-transaction-record-id" are left out:
	// they need the previous transaction, which one record does not know.
	TransactionDetails bool
}

// Validate reports every problem of o at once, or nil.
func (o Options) Validate() error {
	var errs []error
	switch o.PartitionKeyType {
	case "", PartitionKeyPrimaryKey, PartitionKeySchemaTable:
	default:
		errs = append(errs, fmt.Errorf("%w: partition key type %q: want %q or %q",
			ErrInvalidOptions, o.PartitionKeyType, PartitionKeyPrimaryKey, PartitionKeySchemaTable))
	}
	switch o.BeforeImageField {
	case "data", "metadata":
		errs = append(errs, fmt.Errorf("%w: before image field %q collides with the record's own field",
			ErrInvalidOptions, o.BeforeImageField))
	}
	return errors.Join(errs...)
}

// Append appends the DMS record of txn.Changes[i] to dst (no trailing
// newline) and returns it. row is the index of the change within the whole
// transaction, counting across parts, as for envelope.Append; it is written
// as "transaction-record-id" with TransactionDetails.
//
// "data" holds the after image, or the before image for a delete, with the
// columns a partial after image lacks taken from the before image (its
// key, when the update left it alone; see change.RowChange.Identity); a
// row a backfill read (change.Read) is written as DMS writes its full
// load, with operation "load" and the after image as data, and keeps the
// "transaction-id" of the transaction it was merged into; columns
// come in table order, so the same change always encodes to the same bytes.
// The change must pass envelope.Check and opts should pass Validate;
// otherwise Append may panic or write an unusable record.
func Append(dst []byte, txn *change.Txn, i, row int, opts Options) []byte {
	c := &txn.Changes[i]
	t := c.Table
	dst = append(dst, `{"data":`...)
	dst = appendImage(dst, t, c.Identity())
	if opts.BeforeImage && c.Op == change.Update {
		field := opts.BeforeImageField
		if field == "" {
			field = DefaultBeforeImageField
		}
		dst = append(dst, ',')
		dst = appendString(dst, field)
		dst = append(dst, ':')
		dst = appendImage(dst, t, c.Before)
	}
	dst = append(dst, `,"metadata":{"timestamp":`...)
	dst = appendTime(dst, txn.CommitTime)
	dst = append(dst, `,"record-type":"data","operation":"`...)
	dst = append(dst, operation(c.Op)...)
	dst = append(dst, `","partition-key-type":`...)
	if opts.PartitionKeyType == "" {
		dst = append(dst, `"`+PartitionKeyPrimaryKey+`"`...)
	} else {
		dst = appendString(dst, opts.PartitionKeyType)
	}
	dst = append(dst, `,"schema-name":`...)
	dst = appendString(dst, t.Schema)
	dst = append(dst, `,"table-name":`...)
	dst = appendString(dst, t.Name)
	return appendTransaction(dst, txn, row, opts)
}

// appendTransaction appends the metadata fields every record ends with,
// those of its transaction, and closes the metadata and the record.
func appendTransaction(dst []byte, txn *change.Txn, row int, opts Options) []byte {
	dst = append(dst, `,"transaction-id":`...)
	dst = strconv.AppendUint(dst, TransactionID(txn), 10)
	if opts.TransactionDetails {
		dst = append(dst, `,"transaction-record-id":`...)
		dst = strconv.AppendInt(dst, int64(row), 10)
		dst = append(dst, `,"commit-timestamp":`...)
		dst = appendTime(dst, txn.CommitTime)
	}
	return append(dst, '}', '}')
}

// operation names op as DMS does: a row a backfill read is DMS's full
// load record, "load"; the others keep their names.
func operation(op change.Op) string {
	if op == change.Read {
		return "load"
	}
	return op.String()
}

// appendImage appends row as an object of column name to value.
func appendImage(dst []byte, t *change.Table, row change.Row) []byte {
	dst = append(dst, '{')
	for j, col := range t.Columns {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, col.Name)
		dst = append(dst, ':')
		dst = appendValue(dst, row[j])
	}
	return append(dst, '}')
}
