package envelope

import (
	"slices"
	"strconv"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Append appends the envelope of txn.Changes[i] to dst (no trailing newline)
// and returns it. row is the index of the change within the whole
// transaction, counting across parts.
//
// Fields come in a fixed order, image columns in table order and key columns
// in primary key order, so the same change always encodes to the same bytes.
// The change must pass Check; otherwise Append may panic.
func Append(dst []byte, txn *change.Txn, i int, row int) []byte {
	return appendEnvelope(dst, txn, i, row, WholeChange, nil)
}

// appendEnvelope is Append, marked as the k half of a key-changing update
// unless k is WholeChange; with a non-nil s, big image values are written
// through s instead of appended.
func appendEnvelope(dst []byte, txn *change.Txn, i int, row int, k KeyChange, s *stream) []byte {
	c := &txn.Changes[i]
	t := c.Table
	dst = append(dst, `{"source":`...)
	dst = appendString(dst, txn.Source)
	dst = append(dst, `,"schema":`...)
	dst = appendString(dst, t.Schema)
	dst = append(dst, `,"table":`...)
	dst = appendString(dst, t.Name)
	dst = append(dst, `,"op":"`...)
	dst = append(dst, c.Op.String()...)
	if k != WholeChange {
		dst = append(dst, `","key_change":"`...)
		dst = append(dst, k.String()...)
	}
	dst = append(dst, `","key":`...)
	dst = appendKey(dst, c)
	if c.Op == change.Update || c.Op == change.Delete {
		dst = append(dst, `,"before":`...)
		dst = appendImage(dst, t, c.Before, c.BeforeOmitted, s)
	}
	if c.Op != change.Delete {
		dst = append(dst, `,"after":`...)
		dst = appendImage(dst, t, c.After, c.AfterOmitted, s)
	}
	if c.Op == change.Update {
		dst = append(dst, `,"changed":[`...)
		changed := c.Changed
		if !slices.IsSorted(changed) {
			changed = slices.Sorted(slices.Values(changed))
		}
		for j, col := range changed {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, t.Columns[col].Name)
		}
		dst = append(dst, ']')
	}
	return appendOrigin(dst, txn, row)
}

// appendOrigin appends the fields every record ends with: where its
// transaction comes from and its row index within it, and closes it.
func appendOrigin(dst []byte, txn *change.Txn, row int) []byte {
	dst = append(dst, `,"commit_time":`...)
	dst = appendTime(dst, txn.CommitTime)
	if txn.GTID != "" {
		dst = append(dst, `,"gtid":`...)
		dst = appendString(dst, txn.GTID)
	}
	dst = append(dst, `,"binlog":{"file":`...)
	dst = appendString(dst, txn.Begin.File)
	dst = append(dst, `,"pos":`...)
	dst = strconv.AppendUint(dst, uint64(txn.Begin.Pos), 10)
	dst = append(dst, `},"row":`...)
	dst = strconv.AppendInt(dst, int64(row), 10)
	return append(dst, '}')
}

// appendKey appends the primary key of the identifying image, in primary key
// order, or every column in table order when the table has no primary key.
func appendKey(dst []byte, c *change.RowChange) []byte {
	row := c.Identity()
	if len(c.Table.PrimaryKey) == 0 {
		return appendImage(dst, c.Table, row, nil, nil)
	}
	dst = append(dst, '{')
	for j, col := range c.Table.PrimaryKey {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, c.Table.Columns[col].Name)
		dst = append(dst, ':')
		dst = appendValue(dst, row[col])
	}
	return append(dst, '}')
}

// appendImage appends row as an object of column name to value, leaving
// out the columns of omitted (in column order): a partial image does not
// hold them, and a null would say the row held NULL. With a non-nil s,
// big values are written through it.
func appendImage(dst []byte, t *change.Table, row change.Row, omitted []int, s *stream) []byte {
	dst = append(dst, '{')
	first := true
	for j, col := range t.Columns {
		if len(omitted) > 0 && omitted[0] == j {
			omitted = omitted[1:]
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, col.Name)
		dst = append(dst, ':')
		if s != nil && isBig(row[j]) {
			dst = s.value(dst, row[j])
			continue
		}
		dst = appendValue(dst, row[j])
	}
	return append(dst, '}')
}
