package envelope

import (
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// OpDDL is the "op" of a control record: a table statement (change.DDL)
// rather than a row change.
const OpDDL = "ddl"

// DDLRow returns the row index of the control record of txn.DDL[j]: a
// transaction's control records are numbered after its row changes, so
// source, transaction and row still name one record.
func DDLRow(txn *change.Txn, j int) int { return txn.FirstRow + len(txn.Changes) + j }

// CheckDDL reports why d cannot be encoded by AppendDDL, or nil: an
// unknown kind, a missing table name, or a rename without its new name.
func CheckDDL(d *change.DDL) error {
	switch d.Kind {
	case change.DDLTruncate, change.DDLDrop, change.DDLRename, change.DDLAlter:
	default:
		return fmt.Errorf("%w: table statement on %s.%s of unknown kind %q", ErrInvalid, d.Schema, d.Table, d.Kind)
	}
	if d.Schema == "" || d.Table == "" {
		return fmt.Errorf("%w: %s statement without a schema and table", ErrInvalid, d.Kind)
	}
	if d.Kind == change.DDLRename && (d.NewSchema == "" || d.NewTable == "") {
		return fmt.Errorf("%w: rename of %s without the new name", ErrInvalid, d.QualifiedName())
	}
	return nil
}

// AppendDDL appends the control record of txn.DDL[j] to dst (no trailing
// newline) and returns it; row is its index in the transaction (DDLRow).
//
// The record says what the statement did, never its text: source, schema,
// table, "op":"ddl", the kind as "ddl", "new_schema" and "new_table" for a
// rename, "columns" (dropped or retyped) for an alter, then commit_time,
// gtid, binlog and row as a row change's envelope has them. Fields come in
// that fixed order. The statement must pass CheckDDL.
func AppendDDL(dst []byte, txn *change.Txn, j, row int) []byte {
	d := &txn.DDL[j]
	dst = append(dst, `{"source":`...)
	dst = appendString(dst, txn.Source)
	dst = append(dst, `,"schema":`...)
	dst = appendString(dst, d.Schema)
	dst = append(dst, `,"table":`...)
	dst = appendString(dst, d.Table)
	dst = append(dst, `,"op":"`+OpDDL+`","ddl":`...)
	dst = appendString(dst, string(d.Kind))
	if d.Kind == change.DDLRename {
		dst = append(dst, `,"new_schema":`...)
		dst = appendString(dst, d.NewSchema)
		dst = append(dst, `,"new_table":`...)
		dst = appendString(dst, d.NewTable)
	}
	if d.Kind == change.DDLAlter {
		dst = append(dst, `,"columns":[`...)
		for k, col := range d.Columns {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, col)
		}
		dst = append(dst, ']')
	}
	return appendOrigin(dst, txn, row)
}
