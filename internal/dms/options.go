package dms

import (
	"errors"
	"fmt"
)

// Values of Options.PartitionKeyType, DMS's "partition-key-type".
const (
	PartitionKeyPrimaryKey  = "primary-key"
	PartitionKeySchemaTable = "schema-table"
	// PartitionKeyTaskID labels control records: DMS sends them under
	// its task's id.
	PartitionKeyTaskID = "task-id"
)

// Values of Options.ColumnFilter, DMS's BeforeImageSettings ColumnFilter.
const (
	// ColumnFilterAll keeps every column of the before image.
	ColumnFilterAll = "all"
	// ColumnFilterPKOnly keeps the primary key columns (DMS's default).
	ColumnFilterPKOnly = "pk-only"
	// ColumnFilterNonLOB leaves out LOB columns (see IsLOB).
	ColumnFilterNonLOB = "non-lob"
)

// DefaultBeforeImageField is the before image's field name when
// Options.BeforeImageField is empty.
const DefaultBeforeImageField = "before-image"

// DefaultTaskID is the partition-key-value of control records when
// Options.TaskID is empty.
const DefaultTaskID = "tributary"

// ErrInvalidOptions is wrapped by the errors of Options.Validate.
var ErrInvalidOptions = errors.New("invalid dms options")

// Options tune the dms layout, as a DMS task's settings tune its records.
// The zero value is DMS's default layout, except that the before image,
// when on, is whole (ColumnFilterAll), and NULL and empty values are
// written (see OmitNullAndEmpty).
type Options struct {
	// BeforeImage adds the before image of updates under BeforeImageField,
	// as DMS's BeforeImageSettings with EnableBeforeImage do.
	BeforeImage bool
	// BeforeImageField names the before image (BeforeImageSettings
	// FieldName); empty means DefaultBeforeImageField.
	BeforeImageField string
	// ColumnFilter picks the before image's columns (BeforeImageSettings
	// ColumnFilter): ColumnFilterAll (empty means it), ColumnFilterPKOnly
	// or ColumnFilterNonLOB.
	ColumnFilter string
	// PartitionKeyType is written as metadata "partition-key-type" of data
	// records: PartitionKeyPrimaryKey (empty means it) or
	// PartitionKeySchemaTable. It only labels the record; the sink chooses
	// the Kinesis partition key.
	PartitionKeyType string
	// TransactionDetails adds "transaction-record-id" (counted from 1),
	// "prev-transaction-id" and "prev-transaction-record-id" (when the
	// previous transaction is known, see Prev), "commit-timestamp" and
	// "stream-position" (DMS's IncludeTransactionDetails).
	TransactionDetails bool
	// PartitionValue adds "partition-key-value" unless the partition key
	// type is schema-table (DMS's IncludePartitionValue): the primary key
	// values joined by ".", or the task id on control records.
	PartitionValue bool
	// PartitionIncludeSchemaTable prefixes primary key partition values
	// with "schema.table." (DMS's PartitionIncludeSchemaTable).
	PartitionIncludeSchemaTable bool
	// TaskID is the partition-key-value of control records; empty means
	// DefaultTaskID.
	TaskID string
	// OmitNullAndEmpty leaves NULL values and empty strings out of data
	// and before images, as DMS does by default: the zero value writes
	// every column (DMS's IncludeNullAndEmpty).
	OmitNullAndEmpty bool
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
	case "data", "metadata", "control":
		errs = append(errs, fmt.Errorf("%w: before image field %q collides with the record's own field",
			ErrInvalidOptions, o.BeforeImageField))
	}
	switch o.ColumnFilter {
	case "", ColumnFilterAll, ColumnFilterPKOnly, ColumnFilterNonLOB:
	default:
		errs = append(errs, fmt.Errorf("%w: column filter %q: want %s, %s or %s",
			ErrInvalidOptions, o.ColumnFilter, ColumnFilterPKOnly, ColumnFilterNonLOB, ColumnFilterAll))
	}
	return errors.Join(errs...)
}

// taskID returns the task id control records carry.
func (o *Options) taskID() string {
	if o.TaskID == "" {
		return DefaultTaskID
	}
	return o.TaskID
}
