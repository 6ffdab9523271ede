package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// nsHanded is the namespace of the handed marks:
//
//	handed/<source>\0 -> Handed (JSON)
const nsHanded = "handed"

// Handed marks how far a source's transactions had been handed to the
// sinks, so that after a restart the replay from the checkpoint up to the
// mark can be told apart from what comes after it. It covers every
// transaction up to and including the one that begins at Begin (GTID
// names it), or, with Before, up to and excluding it.
type Handed struct {
	Begin  change.Position `json:"begin"`
	GTID   string          `json:"gtid,omitempty"`
	Before bool            `json:"before,omitempty"`
}

func handedKey(source string) []byte { return keyPrefix(nsHanded, source) }

// SaveHandedMarks writes the marks of all sources in m as one synced
// commit. An empty m writes nothing.
func (s *Store) SaveHandedMarks(m map[string]Handed) error {
	if len(m) == 0 {
		return nil
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	b := s.db.NewBatch()
	for source, h := range m {
		if err := checkName("source", source); err != nil {
			return errors.Join(err, b.Close())
		}
		value, err := json.Marshal(h)
		if err != nil {
			return errors.Join(fmt.Errorf("encoding handed mark of source %s: %w", source, err), b.Close())
		}
		if err := b.Set(handedKey(source), value, nil); err != nil {
			return errors.Join(fmt.Errorf("batching handed mark of source %s: %w", source, err), b.Close())
		}
	}
	if err := s.commitLocked(b); err != nil {
		return fmt.Errorf("saving the handed marks of %s: %w", sources(len(m)), err)
	}
	return nil
}

// HandedMarks returns the handed mark of every source that has one.
func (s *Store) HandedMarks() (map[string]Handed, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lower := keyPrefix(nsHanded)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing handed marks: %w", err)
	}
	marks := make(map[string]Handed)
	for iter.First(); iter.Valid(); iter.Next() {
		source, err := parseNameKey(nsHanded, iter.Key())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		var h Handed
		if err := json.Unmarshal(iter.Value(), &h); err != nil {
			return nil, errors.Join(fmt.Errorf("decoding handed mark of source %s: %w", source, err), iter.Close())
		}
		marks[source] = h
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing handed marks: %w", err)
	}
	return marks, nil
}
