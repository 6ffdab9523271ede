package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Position returns the checkpointed position of source, or ErrNotFound.
func (s *Store) Position(source string) (change.Position, error) {
	if err := checkName("source", source); err != nil {
		return change.Position{}, err
	}
	if err := s.acquire(); err != nil {
		return change.Position{}, err
	}
	defer s.mu.RUnlock()
	value, closer, err := s.db.Get(positionKey(source))
	if errors.Is(err, pebble.ErrNotFound) {
		return change.Position{}, fmt.Errorf("position of source %s: %w", source, ErrNotFound)
	}
	if err != nil {
		return change.Position{}, fmt.Errorf("reading position of source %s: %w", source, err)
	}
	var p change.Position
	if err := json.Unmarshal(value, &p); err != nil {
		return change.Position{}, errors.Join(fmt.Errorf("decoding position of source %s: %w", source, err), closer.Close())
	}
	if err := closer.Close(); err != nil {
		return change.Position{}, fmt.Errorf("reading position of source %s: %w", source, err)
	}
	return p, nil
}

// Positions returns the checkpointed positions of every source.
func (s *Store) Positions() (map[string]change.Position, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lower := keyPrefix(nsPosition)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing positions: %w", err)
	}
	positions := make(map[string]change.Position)
	for iter.First(); iter.Valid(); iter.Next() {
		source, err := parsePositionKey(iter.Key())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		var p change.Position
		if err := json.Unmarshal(iter.Value(), &p); err != nil {
			return nil, errors.Join(fmt.Errorf("decoding position of source %s: %w", source, err), iter.Close())
		}
		positions[source] = p
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing positions: %w", err)
	}
	return positions, nil
}

// SavePositions writes the positions of all sources in p as one synced
// commit, so checkpoints of several sources cost one fsync. An empty p writes
// nothing.
func (s *Store) SavePositions(p map[string]change.Position) error {
	return s.SaveCheckpoint(p, nil)
}

// setPositions adds the positions to b.
func setPositions(b *pebble.Batch, p map[string]change.Position) error {
	for source, pos := range p {
		if err := checkName("source", source); err != nil {
			return err
		}
		value, err := json.Marshal(pos)
		if err != nil {
			return fmt.Errorf("encoding position of source %s: %w", source, err)
		}
		if err := b.Set(positionKey(source), value, nil); err != nil {
			return fmt.Errorf("batching position of source %s: %w", source, err)
		}
	}
	return nil
}

// DeletePosition removes the checkpointed position of source, durably. It is
// not an error if there is none.
func (s *Store) DeletePosition(source string) error {
	if err := checkName("source", source); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	b := s.db.NewBatch()
	if err := b.Delete(positionKey(source), nil); err != nil {
		return errors.Join(fmt.Errorf("batching deletion of position of source %s: %w", source, err), b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return fmt.Errorf("deleting position of source %s: %w", source, err)
	}
	return nil
}
