package dms

import (
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Prev names the transaction whose records were sent before a record's
// own: DMS's "prev-transaction-id" and "prev-transaction-record-id" (the
// transaction-record-id of its last record). The zero Prev means none
// is known (the first transaction after a start) and the fields are left
// out, as DMS leaves them out of the first transaction after its task
// starts.
type Prev struct {
	ID       uint64
	RecordID int
}

// Context is what a record's metadata says beyond its change and
// transaction.
type Context struct {
	// Prev is the transaction sent before.
	Prev Prev
	// Last and Inner say whether the record is its transaction's last on
	// its stream, whose stream-position names the position after the
	// transaction (see StreamPosition), when the writer knows better than
	// txn's last change or statement: Inner for the first half of a split
	// update, Last when later changes go to other streams or nowhere.
	// Neither: the transaction's last change or statement is.
	Last, Inner bool
}

// final reports whether a record is its transaction's last on its stream;
// natural is whether its change or statement is txn's last.
func (at Context) final(txn *change.Txn, natural bool) bool {
	return txn.Last && !at.Inner && (at.Last || natural)
}

// Append appends the DMS record of txn.Changes[i] to dst (no trailing
// newline) and returns it, without a previous transaction (see
// AppendAfter).
func Append(dst []byte, txn *change.Txn, i, row int, opts Options) []byte {
	return AppendAfter(dst, txn, i, row, Context{}, opts)
}

// AppendAfter appends the DMS record of txn.Changes[i] to dst (no
// trailing newline) and returns it. row is the index of the change within
// the whole transaction, counting across parts, as for envelope.Append;
// with TransactionDetails it is written as "transaction-record-id" row+1,
// DMS counting a transaction's records from 1, and at.Prev as the
// previous transaction.
//
// "data" holds the after image, or the before image for a delete, with the
// columns a partial after image lacks taken from the before image (its
// key, when the update left it alone; see change.RowChange.Identity); a
// row a backfill read (change.Read) is written as DMS writes its full
// load: operation "load", the after image as data, and no transaction
// fields, as it was read from the table, not from a transaction; columns
// come in table order, so the same change always encodes to the same bytes.
// The before image of an update keeps the columns of opts.ColumnFilter.
// The change must pass envelope.Check and opts should pass Validate;
// otherwise AppendAfter may panic or write an unusable record.
func AppendAfter(dst []byte, txn *change.Txn, i, row int, at Context, opts Options) []byte {
	c := &txn.Changes[i]
	t := c.Table
	dst = append(dst, `{"data":`...)
	dst = appendImage(dst, t, c.Identity(), nil, opts.OmitNullAndEmpty)
	if opts.BeforeImage && c.Op == change.Update {
		field := opts.BeforeImageField
		if field == "" {
			field = DefaultBeforeImageField
		}
		dst = append(dst, ',')
		dst = appendString(dst, field)
		dst = append(dst, ':')
		dst = appendImage(dst, t, c.Before, keepFunc(t, opts.ColumnFilter), opts.OmitNullAndEmpty)
	}
	dst = append(dst, `,"metadata":{"timestamp":`...)
	dst = appendTime(dst, txn.CommitTime)
	dst = append(dst, `,"record-type":"data","operation":"`...)
	dst = append(dst, operation(c.Op)...)
	dst = append(dst, `","partition-key-type":`...)
	keyType := opts.PartitionKeyType
	if keyType == "" {
		keyType = PartitionKeyPrimaryKey
	}
	dst = appendString(dst, keyType)
	if opts.PartitionValue && keyType == PartitionKeyPrimaryKey {
		dst = append(dst, `,"partition-key-value":`...)
		dst = appendString(dst, PartitionValue(c, opts.PartitionIncludeSchemaTable))
	}
	dst = append(dst, `,"schema-name":`...)
	dst = appendString(dst, t.Schema)
	dst = append(dst, `,"table-name":`...)
	dst = appendString(dst, t.Name)
	if c.Op == change.Read {
		return append(dst, '}', '}')
	}
	final := at.final(txn, len(txn.DDL) == 0 && i == len(txn.Changes)-1)
	return appendTransaction(dst, txn, row, at.Prev, final, opts)
}

// appendTransaction appends the metadata fields every record of a
// transaction ends with, those of its transaction, and closes the
// metadata and the record. final says the record is the transaction's
// last (see StreamPosition).
func appendTransaction(dst []byte, txn *change.Txn, row int, prev Prev, final bool, opts Options) []byte {
	dst = append(dst, `,"transaction-id":`...)
	dst = strconv.AppendUint(dst, TransactionID(txn), 10)
	if opts.TransactionDetails {
		dst = append(dst, `,"transaction-record-id":`...)
		dst = strconv.AppendInt(dst, int64(row)+1, 10)
		if prev != (Prev{}) {
			dst = append(dst, `,"prev-transaction-id":`...)
			dst = strconv.AppendUint(dst, prev.ID, 10)
			dst = append(dst, `,"prev-transaction-record-id":`...)
			dst = strconv.AppendInt(dst, int64(prev.RecordID), 10)
		}
		dst = append(dst, `,"commit-timestamp":`...)
		dst = appendTime(dst, txn.CommitTime)
		dst = append(dst, `,"stream-position":`...)
		dst = appendStreamPosition(dst, txn, final)
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

// appendImage appends row as an object of column name to value, with
// the columns keep accepts (all when keep is nil), leaving out NULL and
// empty values with omitEmpty.
func appendImage(dst []byte, t *change.Table, row change.Row, keep func(int) bool, omitEmpty bool) []byte {
	dst = append(dst, '{')
	first := true
	for j, col := range t.Columns {
		if keep != nil && !keep(j) || omitEmpty && isEmpty(row[j]) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, col.Name)
		dst = append(dst, ':')
		dst = appendValue(dst, row[j])
	}
	return append(dst, '}')
}

// isEmpty reports whether v is NULL or an empty string, the values DMS
// leaves out without IncludeNullAndEmpty.
func isEmpty(v change.Value) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []byte:
		return len(v) == 0
	}
	return false
}
