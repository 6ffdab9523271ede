package envelope

import (
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
)

// KeyChange marks the envelope of one of the two records a sink sends for
// an update that moved a row to another partition key: a delete of the
// row at its old key, then an insert of the row at its new key. The
// envelope writes it as "key_change", right after "op".
type KeyChange uint8

// The halves of a split key-changing update.
const (
	// WholeChange is every other record: no "key_change" field.
	WholeChange KeyChange = iota
	// DeleteOld is the delete of the before image, keyed by the old key.
	DeleteOld
	// InsertNew is the insert of the after image, keyed by the new key.
	InsertNew
)

// String returns "delete-old", "insert-new", or "" for WholeChange.
func (k KeyChange) String() string {
	switch k {
	case DeleteOld:
		return "delete-old"
	case InsertNew:
		return "insert-new"
	}
	return ""
}

// Half returns the change that the k half of the update c stands for: a
// delete of c's before image (DeleteOld) or an insert of its after image
// (InsertNew). The images are shared with c, not copied; the insert's after
// image is c's Identity, so with partial row images it holds the columns
// the update left alone that the before image holds, and omits the rest.
func (k KeyChange) Half(c *change.RowChange) change.RowChange {
	if k == DeleteOld {
		return change.RowChange{Table: c.Table, Op: change.Delete, Before: c.Before, BeforeOmitted: c.BeforeOmitted}
	}
	var omitted []int
	for _, col := range c.AfterOmitted {
		if col >= len(c.Before) || slices.Contains(c.BeforeOmitted, col) {
			omitted = append(omitted, col)
		}
	}
	return change.RowChange{Table: c.Table, Op: change.Insert, After: c.Identity(), AfterOmitted: omitted}
}

// AppendKeyChange is Append for one half of a split key-changing update:
// txn.Changes[i] is the half itself (a delete for DeleteOld, an insert for
// InsertNew, as Half returns it), and the envelope says which half it is.
// row is the index of the update in the whole transaction: both halves
// carry it. With WholeChange it is Append.
func AppendKeyChange(dst []byte, txn *change.Txn, i, row int, k KeyChange) []byte {
	return appendEnvelope(dst, txn, i, row, k, nil)
}
