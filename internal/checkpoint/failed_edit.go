package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// DeleteFailed deletes the failed changes with ids in one synced commit
// and returns the ids it deleted, in the order given; ids that name no
// record are left out, not an error.
func (s *Store) DeleteFailed(ids []uint64) ([]uint64, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	failedMu.Lock()
	defer failedMu.Unlock()
	b := s.db.NewBatch()
	var deleted []uint64
	for _, id := range ids {
		ok, err := s.hasLocked(failedKey(id))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("reading failed change %d: %w", id, err), b.Close())
		}
		if !ok {
			continue
		}
		if err := b.Delete(failedKey(id), nil); err != nil {
			return nil, errors.Join(fmt.Errorf("batching deletion of failed change %d: %w", id, err), b.Close())
		}
		deleted = append(deleted, id)
	}
	if len(deleted) == 0 {
		return nil, b.Close()
	}
	if err := s.commitLocked(b); err != nil {
		return nil, fmt.Errorf("deleting %d failed changes: %w", len(deleted), err)
	}
	return deleted, nil
}

// UpdateFailed rewrites the record with fc.ID through edit, in one synced
// commit. It fails with ErrNotFound when there is no such record; edit
// may not change the ID.
func (s *Store) UpdateFailed(id uint64, edit func(*change.FailedChange)) error {
	_, err := s.updateFailed([]uint64{id}, edit, true)
	return err
}

// MarkFailedSuperseded marks the records with ids superseded at at: a
// later operation on the same target row was applied, so re-applying them
// would overwrite it. Records already marked keep their time; ids that
// name no record are skipped.
func (s *Store) MarkFailedSuperseded(ids []uint64, at time.Time) error {
	_, err := s.updateFailed(ids, func(fc *change.FailedChange) {
		if fc.Superseded.IsZero() {
			fc.Superseded = at
		}
	}, false)
	return err
}

// updateFailed applies edit to the records with ids in one synced commit
// and returns how many it found; a missing one fails with ErrNotFound
// when strict, else it is skipped.
func (s *Store) updateFailed(ids []uint64, edit func(*change.FailedChange), strict bool) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	failedMu.Lock()
	defer failedMu.Unlock()
	b := s.db.NewBatch()
	n := 0
	for _, id := range ids {
		value, closer, err := s.db.Get(failedKey(id))
		if errors.Is(err, pebble.ErrNotFound) {
			if strict {
				return 0, errors.Join(fmt.Errorf("failed change %d: %w", id, ErrNotFound), b.Close())
			}
			continue
		}
		if err != nil {
			return 0, errors.Join(fmt.Errorf("reading failed change %d: %w", id, err), b.Close())
		}
		fc, err := decodeFailed(id, value)
		if cerr := closer.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, errors.Join(err, b.Close())
		}
		edit(&fc)
		rec, err := encodeFailed(fc)
		if err != nil {
			return 0, errors.Join(err, b.Close())
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, errors.Join(fmt.Errorf("encoding failed change %d: %w", id, err), b.Close())
		}
		if err := b.Set(failedKey(id), data, nil); err != nil {
			return 0, errors.Join(fmt.Errorf("batching failed change %d: %w", id, err), b.Close())
		}
		n++
	}
	if n == 0 {
		return 0, b.Close()
	}
	if err := s.commitLocked(b); err != nil {
		return 0, fmt.Errorf("updating %d failed changes: %w", n, err)
	}
	return n, nil
}

// hasLocked reports whether key is stored.
func (s *Store) hasLocked(key []byte) (bool, error) {
	_, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, closer.Close()
}
