package mysql

import (
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
)

// SourceTxn names the source transaction an operation comes from.
type SourceTxn struct {
	Source string
	// Seq orders the transactions of one source within one run.
	Seq  uint64
	GTID string
	// Begin is where the transaction begins in the source's binlog.
	Begin change.Position
}

// ReplayWindow tells the sink which source transactions are replayed after
// a restart: those from the source's checkpoint up to the furthest
// transaction handed to the sinks before the process stopped. Only an
// upsert of such a transaction may delete a row it collides with on a
// unique key (see conflict.go). The service keeps it; it must be safe for
// concurrent use.
type ReplayWindow interface {
	// Replays reports whether t lies inside its source's replay window.
	Replays(t SourceTxn) bool
	// Handing makes durable, before the sink writes anything of them,
	// that the transactions ts were handed to the sink, so that the
	// window of a later restart covers every row state the target may
	// hold. ts holds at most one transaction per source, the furthest.
	Handing(ts []SourceTxn) error
	// Refused makes durable that t's collision was not resolved, so that
	// the window of a later restart ends before t and the replay of t
	// meets the same conflict instead of deleting the other row.
	Refused(t SourceTxn) error
}

// handing tells the replay window, before items are written, which
// transactions they come from.
func (w *worker) handing(items []item) error {
	r := w.s.opts.Replay
	if r == nil {
		return nil
	}
	var ts []SourceTxn
	var last *origin
	for i := range items {
		from := items[i].from
		if from == last {
			continue
		}
		last = from
		j := 0
		for j < len(ts) && ts[j].Source != from.source {
			j++
		}
		if j == len(ts) {
			ts = append(ts, from.txn())
		} else if from.seq > ts[j].Seq {
			ts[j] = from.txn()
		}
	}
	if err := r.Handing(ts); err != nil {
		return fmt.Errorf("recording the transactions handed to the target: %w", err)
	}
	return nil
}
