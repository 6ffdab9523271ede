package dms

import (
	"github.com/tributary-cdc/tributary/internal/change"
)

// Control operations: the metadata "operation" of a control record, by
// the kind of table statement it stands for. DMS documents drop-table,
// rename-table and change-columns for its control records; it names no
// operation for TRUNCATE on a stream target, so truncate-table follows its
// naming. An alter (columns dropped or retyped, not told apart) is
// change-columns, DMS's operation for a change to several columns.
const (
	OpTruncateTable = "truncate-table"
	OpDropTable     = "drop-table"
	OpRenameTable   = "rename-table"
	OpChangeColumns = "change-columns"
)

// ControlOperation returns the operation of a control record for kind, or
// "" for a kind without one.
func ControlOperation(kind change.DDLKind) string {
	switch kind {
	case change.DDLTruncate:
		return OpTruncateTable
	case change.DDLDrop:
		return OpDropTable
	case change.DDLRename:
		return OpRenameTable
	case change.DDLAlter:
		return OpChangeColumns
	}
	return ""
}

// AppendControl appends the control record of the table statement
// txn.DDL[j] to dst without a previous transaction (see AppendControlAfter).
func AppendControl(dst []byte, txn *change.Txn, j, row int, opts Options) []byte {
	return AppendControlAfter(dst, txn, j, row, Context{}, opts)
}

// AppendControlAfter appends the control record of the table statement
// txn.DDL[j] to dst (no trailing newline) and returns it; row is its index
// in the transaction (envelope.DDLRow), written as "transaction-record-id"
// row+1 with TransactionDetails, and at says what else (see Context).
//
// The record is {"control":{...},"metadata":{...}} with "record-type":
// "control", the operation of ControlOperation and "partition-key-type"
// "task-id", as DMS writes its control records ("partition-key-value" is
// the task id with PartitionValue). "control" holds what the operation
// needs beyond the table: for rename-table the new name as
// {"rename-to":{"schema-name":...,"table-name":...}}, for change-columns
// {"columns":[...]}; truncate-table and drop-table have an empty one, as
// DMS's drop-table has. The statement's text is never written. Unlike
// DMS's, the record carries the statement's "transaction-id". It must pass
// envelope.CheckDDL.
func AppendControlAfter(dst []byte, txn *change.Txn, j, row int, at Context, opts Options) []byte {
	d := &txn.DDL[j]
	dst = append(dst, `{"control":{`...)
	switch d.Kind {
	case change.DDLRename:
		dst = append(dst, `"rename-to":{"schema-name":`...)
		dst = appendString(dst, d.NewSchema)
		dst = append(dst, `,"table-name":`...)
		dst = appendString(dst, d.NewTable)
		dst = append(dst, '}')
	case change.DDLAlter:
		dst = append(dst, `"columns":[`...)
		for k, col := range d.Columns {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, col)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"metadata":{"timestamp":`...)
	dst = appendTime(dst, txn.CommitTime)
	dst = append(dst, `,"record-type":"control","operation":"`...)
	dst = append(dst, ControlOperation(d.Kind)...)
	dst = append(dst, '"')
	dst = appendTaskKey(dst, opts)
	dst = append(dst, `,"schema-name":`...)
	dst = appendString(dst, d.Schema)
	dst = append(dst, `,"table-name":`...)
	dst = appendString(dst, d.Table)
	final := at.final(txn, j == len(txn.DDL)-1)
	return appendTransaction(dst, txn, row, at.Prev, final, opts)
}

// appendTaskKey appends the partition key type of a control record and,
// with PartitionValue, its value, the task id.
func appendTaskKey(dst []byte, opts Options) []byte {
	dst = append(dst, `,"partition-key-type":"`+PartitionKeyTaskID+`"`...)
	if opts.PartitionValue {
		dst = append(dst, `,"partition-key-value":`...)
		dst = appendString(dst, opts.taskID())
	}
	return dst
}
