package replicator

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Interrupted describes a source transaction that a stop cut short: some
// of its parts were handed to the sinks, its end was not. Its position is
// not checkpointed, so a restart sends it again from its first part.
type Interrupted struct {
	Source string `json:"source"`
	// GTID and Begin identify the transaction.
	GTID  string          `json:"gtid,omitempty"`
	Begin change.Position `json:"begin"`
	// Parts and Changes count what the sinks were handed of it.
	Parts   int `json:"parts"`
	Changes int `json:"changes"`
}

// stopState is what a Run shares between its apply loops about a stop:
// whether the grace period is over, and the transactions it cut short.
type stopState struct {
	graceOver atomic.Bool
	mu        struct {
		sync.Mutex
		cut []Interrupted
	}
}

// interrupted records that the stream of txn's source ended after txn, a
// part that was not its transaction's last.
func (s *stopState) interrupted(txn *change.Txn, log *slog.Logger, grace time.Duration) {
	in := Interrupted{
		Source: txn.Source, GTID: txn.GTID, Begin: txn.Begin,
		Parts: txn.Part + 1, Changes: txn.FirstRow + len(txn.Changes),
	}
	log.Warn("stopped inside a transaction: the grace period ended before it did; a restart sends its first parts again",
		"source", in.Source, "gtid", in.GTID, "begin", in.Begin.String(),
		"parts_sent", in.Parts, "changes_sent", in.Changes, "stop_grace", grace)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.cut = append(s.mu.cut, in)
}

func (s *stopState) list() []Interrupted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Interrupted(nil), s.mu.cut...)
}

// closed reports whether ch is closed, without blocking.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// afterGrace calls abort once grace has passed after stop was closed,
// unless done is closed first.
func afterGrace(stop, done <-chan struct{}, grace time.Duration, abort func()) {
	select {
	case <-stop:
	case <-done:
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-t.C:
		abort()
	case <-done:
	}
}
