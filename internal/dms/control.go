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
// txn.DDL[j] to dst (no trailing newline) and returns it; row is its index
// in the transaction (envelope.DDLRow), written as "transaction-record-id"
// with TransactionDetails.
//
// The record is {["control":{...},]"metadata":{...}} with "record-type":
// "control" and the operation of ControlOperation; "partition-key-type" is
// "schema-table", the key the sink sends it under. "control" holds what
// the operation needs beyond the table: for rename-table the new name as
// {"rename-to":{"schema-name":...,"table-name":...}}, for change-columns
// {"columns":[...]}; truncate-table and drop-table have none. The
// statement's text is never written. It must pass envelope.CheckDDL.
func AppendControl(dst []byte, txn *change.Txn, j, row int, opts Options) []byte {
	d := &txn.DDL[j]
	dst = append(dst, '{')
	switch d.Kind {
	case change.DDLRename:
		dst = append(dst, `"control":{"rename-to":{"schema-name":`...)
		dst = appendString(dst, d.NewSchema)
		dst = append(dst, `,"table-name":`...)
		dst = appendString(dst, d.NewTable)
		dst = append(dst, `}},`...)
	case change.DDLAlter:
		dst = append(dst, `"control":{"columns":[`...)
		for k, col := range d.Columns {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, col)
		}
		dst = append(dst, `]},`...)
	}
	dst = append(dst, `"metadata":{"timestamp":`...)
	dst = appendTime(dst, txn.CommitTime)
	dst = append(dst, `,"record-type":"control","operation":"`...)
	dst = append(dst, ControlOperation(d.Kind)...)
	dst = append(dst, `","partition-key-type":"`+PartitionKeySchemaTable+`","schema-name":`...)
	dst = appendString(dst, d.Schema)
	dst = append(dst, `,"table-name":`...)
	dst = appendString(dst, d.Table)
	return appendTransaction(dst, txn, row, opts)
}
