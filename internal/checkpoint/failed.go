package checkpoint

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// nsFailed is the namespace of failed changes:
//
//	failed/<id>  -> failedRecord, id a big-endian uint64 counting from 1
const nsFailed = "failed"

// failedMu serialises id allocation of RecordFailed. Failures are rare, so
// one lock for every Store in the process costs nothing.
var failedMu sync.Mutex

// failedRecord is the stored form of a change.FailedChange: values carry their Go
// type, which plain JSON would lose (uint64, []byte, Decimal, ...).
type failedRecord struct {
	// ID is set in MarshalFailed's form only: in the store, the key holds it.
	ID       uint64          `json:"id,omitempty"`
	Source   string          `json:"source"`
	Position change.Position `json:"position"`
	GTID     string          `json:"gtid,omitempty"`
	Target   string          `json:"target"`
	Op       string          `json:"op"`
	Key      []typedValue    `json:"key"`
	Columns  []string        `json:"columns,omitempty"`
	Values   []typedValue    `json:"values,omitempty"`
	// ConflictKey is change.FailedChange.ConflictKey.
	ConflictKey []typedValue `json:"conflict_key,omitempty"`
	Error       string       `json:"error"`
	Summary     string       `json:"summary,omitempty"`
	At          time.Time    `json:"at"`
	Superseded  time.Time    `json:"superseded,omitzero"`
}

// typedValue is one change.Value: T names its Go type, V holds it as text
// (base64 for bytes); a NULL has an empty T.
type typedValue struct {
	T string `json:"t,omitempty"`
	V string `json:"v,omitempty"`
}

func failedKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(keyPrefix(nsFailed), id)
}

// RecordFailed stores fc durably (one synced commit) under a new id and
// returns the id. fc.At defaults to now.
func (s *Store) RecordFailed(fc change.FailedChange) (uint64, error) {
	rec, err := encodeFailed(fc)
	if err != nil {
		return 0, err
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encoding failed change: %w", err)
	}
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	failedMu.Lock()
	defer failedMu.Unlock()
	id, err := s.lastFailedIDLocked()
	if err != nil {
		return 0, err
	}
	id++
	b := s.db.NewBatch()
	if err := b.Set(failedKey(id), value, nil); err != nil {
		return 0, errors.Join(fmt.Errorf("batching failed change %d: %w", id, err), b.Close())
	}
	if err := b.Set(lastFailedKey(), binary.BigEndian.AppendUint64(nil, id), nil); err != nil {
		return 0, errors.Join(fmt.Errorf("batching failed change %d: %w", id, err), b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return 0, fmt.Errorf("recording failed change %d: %w", id, err)
	}
	return id, nil
}

// lastFailedKey holds the last id given: ids of deleted records are not
// given again, so an id names one failure for good.
func lastFailedKey() []byte { return keyPrefix(nsMeta, "last_failed_id") }

// lastFailedIDLocked returns the highest id given, or 0.
func (s *Store) lastFailedIDLocked() (uint64, error) {
	lower := keyPrefix(nsFailed)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return 0, fmt.Errorf("finding last failed change: %w", err)
	}
	var id uint64
	if iter.Last() {
		if id, err = parseFailedKey(iter.Key()); err != nil {
			return 0, errors.Join(err, iter.Close())
		}
	}
	if err := iter.Close(); err != nil {
		return 0, fmt.Errorf("finding last failed change: %w", err)
	}
	value, closer, err := s.db.Get(lastFailedKey())
	if errors.Is(err, pebble.ErrNotFound) {
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("finding last failed change: %w", err)
	}
	if len(value) == ordinalLen {
		id = max(id, binary.BigEndian.Uint64(value))
	}
	return id, closer.Close()
}

// FailedChanges returns every recorded failed change in id order.
func (s *Store) FailedChanges() ([]change.FailedChange, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lower := keyPrefix(nsFailed)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing failed changes: %w", err)
	}
	var out []change.FailedChange
	for iter.First(); iter.Valid(); iter.Next() {
		id, err := parseFailedKey(iter.Key())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		fc, err := decodeFailed(id, iter.Value())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		out = append(out, fc)
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing failed changes: %w", err)
	}
	return out, nil
}

// FailedChange returns the failed change with id, or ErrNotFound.
func (s *Store) FailedChange(id uint64) (change.FailedChange, error) {
	if err := s.acquire(); err != nil {
		return change.FailedChange{}, err
	}
	defer s.mu.RUnlock()
	value, closer, err := s.db.Get(failedKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return change.FailedChange{}, fmt.Errorf("failed change %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return change.FailedChange{}, fmt.Errorf("reading failed change %d: %w", id, err)
	}
	fc, err := decodeFailed(id, value)
	return fc, errors.Join(err, closer.Close())
}

func parseFailedKey(key []byte) (uint64, error) {
	prefix := keyPrefix(nsFailed)
	if len(key) != len(prefix)+ordinalLen || string(key[:len(prefix)]) != string(prefix) {
		return 0, fmt.Errorf("checkpoint: malformed failed change key %q", key)
	}
	return binary.BigEndian.Uint64(key[len(prefix):]), nil
}

func encodeFailed(fc change.FailedChange) (failedRecord, error) {
	key, err := encodeValues(fc.Key)
	if err != nil {
		return failedRecord{}, fmt.Errorf("encoding key of failed change: %w", err)
	}
	values, err := encodeValues(fc.Values)
	if err != nil {
		return failedRecord{}, fmt.Errorf("encoding values of failed change: %w", err)
	}
	other, err := encodeValues(fc.ConflictKey)
	if err != nil {
		return failedRecord{}, fmt.Errorf("encoding conflict key of failed change: %w", err)
	}
	at := fc.At
	if at.IsZero() {
		at = time.Now()
	}
	return failedRecord{
		Source: fc.Source, Position: fc.Position, GTID: fc.GTID, Target: fc.Target, Op: fc.Op,
		Key: key, Columns: fc.Columns, Values: values, ConflictKey: other, Error: fc.Error, Summary: fc.Summary, At: at.UTC(),
		Superseded: fc.Superseded.UTC(),
	}, nil
}

func decodeFailed(id uint64, value []byte) (change.FailedChange, error) {
	var rec failedRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return change.FailedChange{}, fmt.Errorf("decoding failed change %d: %w", id, err)
	}
	key, err := decodeValues(rec.Key)
	if err != nil {
		return change.FailedChange{}, fmt.Errorf("decoding key of failed change %d: %w", id, err)
	}
	values, err := decodeValues(rec.Values)
	if err != nil {
		return change.FailedChange{}, fmt.Errorf("decoding values of failed change %d: %w", id, err)
	}
	other, err := decodeValues(rec.ConflictKey)
	if err != nil {
		return change.FailedChange{}, fmt.Errorf("decoding conflict key of failed change %d: %w", id, err)
	}
	return change.FailedChange{
		ID: id, Source: rec.Source, Position: rec.Position, GTID: rec.GTID, Target: rec.Target, Op: rec.Op,
		Key: key, Columns: rec.Columns, Values: values, ConflictKey: other, Error: rec.Error, Summary: rec.Summary, At: rec.At,
		Superseded: rec.Superseded,
	}, nil
}

// MarshalFailed encodes fc, its ID included, as the store keeps it: every
// value with its Go type, which plain JSON would lose. UnmarshalFailed
// reads it back; the running service sends failed changes so.
func MarshalFailed(fc change.FailedChange) ([]byte, error) {
	rec, err := encodeFailed(fc)
	if err != nil {
		return nil, err
	}
	rec.ID = fc.ID
	return json.Marshal(rec)
}

// UnmarshalFailed decodes what MarshalFailed encoded.
func UnmarshalFailed(data []byte) (change.FailedChange, error) {
	var head struct {
		ID uint64 `json:"id"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return change.FailedChange{}, fmt.Errorf("decoding failed change: %w", err)
	}
	return decodeFailed(head.ID, data)
}

func encodeValues(vals []change.Value) ([]typedValue, error) {
	if vals == nil {
		return nil, nil
	}
	out := make([]typedValue, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case int64:
			out[i] = typedValue{"int64", strconv.FormatInt(v, 10)}
		case uint64:
			out[i] = typedValue{"uint64", strconv.FormatUint(v, 10)}
		case float32:
			out[i] = typedValue{"float32", strconv.FormatFloat(float64(v), 'g', -1, 32)}
		case float64:
			out[i] = typedValue{"float64", strconv.FormatFloat(v, 'g', -1, 64)}
		case string:
			out[i] = typedValue{"string", v}
		case []byte:
			out[i] = typedValue{"bytes", base64.StdEncoding.EncodeToString(v)}
		case change.Decimal:
			out[i] = typedValue{"decimal", string(v)}
		case change.Temporal:
			out[i] = typedValue{"temporal", string(v)}
		case change.JSON:
			out[i] = typedValue{"json", string(v)}
		default:
			return nil, fmt.Errorf("value %d has unsupported type %T", i, v)
		}
	}
	return out, nil
}

func decodeValues(vals []typedValue) ([]change.Value, error) {
	if vals == nil {
		return nil, nil
	}
	out := make([]change.Value, len(vals))
	for i, tv := range vals {
		var err error
		switch tv.T {
		case "":
		case "int64":
			out[i], err = strconv.ParseInt(tv.V, 10, 64)
		case "uint64":
			out[i], err = strconv.ParseUint(tv.V, 10, 64)
		case "float32":
			var f float64
			f, err = strconv.ParseFloat(tv.V, 32)
			out[i] = float32(f)
		case "float64":
			out[i], err = strconv.ParseFloat(tv.V, 64)
		case "string":
			out[i] = tv.V
		case "bytes":
			out[i], err = base64.StdEncoding.DecodeString(tv.V)
		case "decimal":
			out[i] = change.Decimal(tv.V)
		case "temporal":
			out[i] = change.Temporal(tv.V)
		case "json":
			out[i] = change.JSON(tv.V)
		default:
			err = fmt.Errorf("unknown type %q", tv.T)
		}
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i, err)
		}
	}
	return out, nil
}
