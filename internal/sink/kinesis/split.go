package kinesis

import (
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// An update whose before and after images have different partition keys
// (route.oldKey) is sent as two records: a delete of the before image on
// the old key, then an insert of the after image on the new key. Each key's
// records then tell a whole story in order: the old key's end with the
// delete, the new key's start with the insert, whatever shard each is on.
// Sent as one record under the new key, the update would race the old
// key's earlier and later records on another shard: a consumer could
// delete the old row after a re-insert of it.

// pair is shared by the two records of a split update: the update counts
// as sent once both are acknowledged, and not at all when either is
// recorded as failed. Its fields are guarded by the sink's mu.
type pair struct {
	acked  int
	failed bool
}

// halves are the two records of a split update, in the order they are
// queued: the old key's last word comes first.
var halves = [2]envelope.KeyChange{envelope.DeleteOld, envelope.InsertNew}

// halfTxn returns a copy of txn holding only the k half of its update
// txn.Changes[i], as change 0.
func halfTxn(txn *change.Txn, i int, k envelope.KeyChange) *change.Txn {
	one := *txn
	one.Changes = []change.RowChange{k.Half(&txn.Changes[i])}
	one.Ops = nil
	return &one
}

// sentLocked counts the changes that the acknowledgement of recs
// completes: every whole change, and a split update once both its records
// are acknowledged.
func sentLocked(recs []*record) uint64 {
	var n uint64
	for _, r := range recs {
		if r.control {
			continue
		}
		if r.pair == nil {
			n++
			continue
		}
		r.pair.acked++
		if r.pair.acked == len(halves) && !r.pair.failed {
			n++
		}
	}
	return n
}
