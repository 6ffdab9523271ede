package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// nsRange is the namespace of the ranges to repair:
//
//	range/<id> -> Range (JSON), id a big-endian uint64 counting from 1
const nsRange = "range"

// Origins of a range: who asked for it to be repaired.
const (
	// RangeOperator: added by hand (tributary ranges add).
	RangeOperator = "operator"
	// RangeVerify: rows a verification found to differ.
	RangeVerify = "verify"
	// RangeFailed: rows of failed changes.
	RangeFailed = "failed"
)

// rangeMu serialises id allocation and the read-modify-writes of ranges.
var rangeMu sync.Mutex

// Range is a set of rows of one mapping whose target rows must be
// re-read from their source: those the Where predicate selects, or those
// with the Keys listed.
type Range struct {
	// ID is assigned by AddRange; it is ignored when adding.
	ID uint64 `json:"id"`
	// Mapping is the target table of the mapping, "schema.table".
	Mapping string `json:"mapping"`
	// Source restricts the range to one source; empty means every source
	// the mapping reads.
	Source string `json:"source,omitempty"`
	// Where is an SQL predicate over the source table's columns, as
	// backfill --where takes it. Exactly one of Where and Keys is set.
	Where string `json:"where,omitempty"`
	// Keys lists target keys, each the text of its key columns' values in
	// key order.
	Keys [][]string `json:"keys,omitempty"`
	// Origin is RangeOperator, RangeVerify or RangeFailed; Reason says
	// why, in words (optional).
	Origin string `json:"origin"`
	Reason string `json:"reason,omitempty"`
	// Created is when the range was added (AddRange sets it when zero);
	// Resolved when it was repaired, zero while it is open.
	Created  time.Time `json:"created"`
	Resolved time.Time `json:"resolved,omitzero"`
}

// Check reports what makes r unfit to store.
func (r *Range) Check() error {
	switch {
	case r.Mapping == "":
		return errors.New("a range needs a mapping")
	case r.Where == "" && len(r.Keys) == 0:
		return errors.New("a range needs a where predicate or keys")
	case r.Where != "" && len(r.Keys) > 0:
		return errors.New("a range takes a where predicate or keys, not both")
	}
	switch r.Origin {
	case RangeOperator, RangeVerify, RangeFailed:
	default:
		return fmt.Errorf("range origin %q is not %s, %s or %s", r.Origin, RangeOperator, RangeVerify, RangeFailed)
	}
	for i, k := range r.Keys {
		if len(k) == 0 || len(k) != len(r.Keys[0]) {
			return fmt.Errorf("key %d has %d values, key 1 has %d", i+1, len(k), len(r.Keys[0]))
		}
	}
	return nil
}

func lastRangeKey() []byte { return keyPrefix(nsMeta, "last_range_id") }

func rangeKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(keyPrefix(nsRange), id)
}

// AddRange stores r under a new id in one synced commit and returns the
// id.
func (s *Store) AddRange(r Range) (uint64, error) {
	if err := r.Check(); err != nil {
		return 0, err
	}
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	r.Created, r.Resolved = r.Created.UTC(), r.Resolved.UTC()
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	rangeMu.Lock()
	defer rangeMu.Unlock()
	// Ids are never reused, cleared ranges' included: a report that
	// names a range must not come to name another one.
	var last uint64
	value, closer, err := s.db.Get(lastRangeKey())
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return 0, fmt.Errorf("reading the last range id: %w", err)
	default:
		if len(value) == ordinalLen {
			last = binary.BigEndian.Uint64(value)
		}
		if err := closer.Close(); err != nil {
			return 0, err
		}
	}
	r.ID = last + 1
	b := s.db.NewBatch()
	if err := s.setRange(b, r); err != nil {
		return 0, errors.Join(err, b.Close())
	}
	if err := b.Set(lastRangeKey(), binary.BigEndian.AppendUint64(nil, r.ID), nil); err != nil {
		return 0, errors.Join(fmt.Errorf("batching the last range id: %w", err), b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return 0, fmt.Errorf("adding range %d: %w", r.ID, err)
	}
	return r.ID, nil
}

// setRange adds the write of r to b.
func (s *Store) setRange(b *pebble.Batch, r Range) error {
	value, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding range %d: %w", r.ID, err)
	}
	if err := b.Set(rangeKey(r.ID), value, nil); err != nil {
		return fmt.Errorf("batching range %d: %w", r.ID, err)
	}
	return nil
}

// Ranges returns every range, resolved ones included, in id order.
func (s *Store) Ranges() ([]Range, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return s.rangesLocked()
}

func (s *Store) rangesLocked() ([]Range, error) {
	lower := keyPrefix(nsRange)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing ranges: %w", err)
	}
	var out []Range
	for iter.First(); iter.Valid(); iter.Next() {
		r, err := decodeRange(iter.Key(), iter.Value())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		out = append(out, r)
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing ranges: %w", err)
	}
	return out, nil
}

// Range returns the range with id, or an error wrapping ErrNotFound.
func (s *Store) Range(id uint64) (Range, error) {
	if err := s.acquire(); err != nil {
		return Range{}, err
	}
	defer s.mu.RUnlock()
	return s.rangeLocked(id)
}

func (s *Store) rangeLocked(id uint64) (Range, error) {
	value, closer, err := s.db.Get(rangeKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return Range{}, fmt.Errorf("range %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Range{}, fmt.Errorf("reading range %d: %w", id, err)
	}
	r, err := decodeRange(rangeKey(id), value)
	return r, errors.Join(err, closer.Close())
}

// ResolveRange marks the range with id resolved at at (now when zero);
// one already resolved keeps its time.
func (s *Store) ResolveRange(id uint64, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	rangeMu.Lock()
	defer rangeMu.Unlock()
	r, err := s.rangeLocked(id)
	if err != nil {
		return err
	}
	if !r.Resolved.IsZero() {
		return nil
	}
	r.Resolved = at.UTC()
	b := s.db.NewBatch()
	if err := s.setRange(b, r); err != nil {
		return errors.Join(err, b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return fmt.Errorf("resolving range %d: %w", id, err)
	}
	return nil
}

// RangeSelection picks the ranges ClearRanges deletes: those with IDs,
// the resolved ones, or all.
type RangeSelection struct {
	IDs      []uint64
	Resolved bool
	All      bool
}

// ClearRanges deletes the ranges sel picks in one synced commit and
// returns them. An id that names no range fails with ErrNotFound and
// deletes nothing.
func (s *Store) ClearRanges(sel RangeSelection) ([]Range, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	rangeMu.Lock()
	defer rangeMu.Unlock()
	all, err := s.rangesLocked()
	if err != nil {
		return nil, err
	}
	var picked []Range
	for _, id := range sel.IDs {
		i := slices.IndexFunc(all, func(r Range) bool { return r.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("range %d: %w", id, ErrNotFound)
		}
		if !slices.ContainsFunc(picked, func(r Range) bool { return r.ID == id }) {
			picked = append(picked, all[i])
		}
	}
	for _, r := range all {
		if (sel.All || (sel.Resolved && !r.Resolved.IsZero())) && !slices.ContainsFunc(picked, func(p Range) bool { return p.ID == r.ID }) {
			picked = append(picked, r)
		}
	}
	if len(picked) == 0 {
		return nil, nil
	}
	b := s.db.NewBatch()
	for _, r := range picked {
		if err := b.Delete(rangeKey(r.ID), nil); err != nil {
			return nil, errors.Join(fmt.Errorf("batching deletion of range %d: %w", r.ID, err), b.Close())
		}
	}
	if err := s.commitLocked(b); err != nil {
		return nil, fmt.Errorf("clearing %d ranges: %w", len(picked), err)
	}
	return picked, nil
}

func decodeRange(key, value []byte) (Range, error) {
	prefix := keyPrefix(nsRange)
	if len(key) != len(prefix)+ordinalLen || string(key[:len(prefix)]) != string(prefix) {
		return Range{}, fmt.Errorf("checkpoint: malformed range key %q", key)
	}
	id := binary.BigEndian.Uint64(key[len(prefix):])
	var r Range
	if err := json.Unmarshal(value, &r); err != nil {
		return Range{}, fmt.Errorf("decoding range %d: %w", id, err)
	}
	r.ID = id
	return r, nil
}
