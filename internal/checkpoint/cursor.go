package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// nsBackfill is the namespace of backfill cursors:
//
//	backfill/<source>\0<schema>\0<table>\0 -> Cursor (JSON)
const nsBackfill = "backfill"

// Cursor is how far the backfill of one source table got: every row whose
// key is at or before After has been copied into every sink, durably, when
// the cursor is saved with the checkpoint that covers its chunk.
type Cursor struct {
	// Source, Schema and Table name the table; they make the key.
	Source string
	Schema string
	Table  string
	// Key names the columns the chunks are ordered by: the primary key,
	// or a unique key of NOT NULL columns.
	Key []string
	// After holds the values of Key of the last row copied, nil before
	// the first chunk.
	After []change.Value
	// Where is the SQL predicate the copy is restricted to; empty for
	// every row.
	Where string
	// Chunks counts the chunks copied, Rows the rows they handed on.
	Chunks uint64
	Rows   uint64
	// Done is set once a chunk came back short: the table is copied; or,
	// with Failed, once the copy ended without finishing.
	Done bool
	// Failed says why a copy ended without finishing (its predicate
	// fails on the source's rows), in words that quote no row.
	Failed string
	// Estimate is how many rows the copy was expected to hand on when it
	// was requested (the server's statistics, or a count of a small
	// table); 0 when unknown. It drives percentages and ETAs only.
	Estimate uint64
	// Requested is when the backfill of the table was asked for.
	Requested time.Time
}

// QualifiedName returns "schema.table".
func (c *Cursor) QualifiedName() string { return c.Schema + "." + c.Table }

// cursorRecord is a Cursor as stored.
type cursorRecord struct {
	Key       []string     `json:"key"`
	After     []typedValue `json:"after,omitempty"`
	Where     string       `json:"where,omitempty"`
	Chunks    uint64       `json:"chunks"`
	Rows      uint64       `json:"rows"`
	Done      bool         `json:"done,omitempty"`
	Failed    string       `json:"failed,omitempty"`
	Estimate  uint64       `json:"estimate,omitempty"`
	Requested time.Time    `json:"requested"`
}

func cursorKey(source, schema, table string) []byte {
	return keyPrefix(nsBackfill, source, schema, table)
}

// checkCursor rejects a cursor whose names cannot make a key.
func checkCursor(c *Cursor) error {
	for _, n := range []struct{ what, name string }{{"source", c.Source}, {"schema", c.Schema}, {"table", c.Table}} {
		if err := checkName(n.what, n.name); err != nil {
			return err
		}
	}
	return nil
}

// setCursors adds the cursors to b, except those that a cursor of a later
// request of the same table has replaced: a chunk of an earlier request
// that was still under way when the table was requested again may reach
// a checkpoint after the new request's cursor was saved.
func (s *Store) setCursors(b *pebble.Batch, cs []Cursor) error {
	for i := range cs {
		c := &cs[i]
		if err := checkCursor(c); err != nil {
			return err
		}
		var stored cursorRecord
		err := s.getJSON(cursorKey(c.Source, c.Schema, c.Table), &stored)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("reading backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
		}
		if err == nil && stored.Requested.After(c.Requested) {
			continue
		}
		after, err := encodeValues(c.After)
		if err != nil {
			return fmt.Errorf("encoding backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
		}
		value, err := json.Marshal(cursorRecord{Key: c.Key, After: after, Where: c.Where, Chunks: c.Chunks,
			Rows: c.Rows, Done: c.Done, Failed: c.Failed, Estimate: c.Estimate, Requested: c.Requested.UTC()})
		if err != nil {
			return fmt.Errorf("encoding backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
		}
		if err := b.Set(cursorKey(c.Source, c.Schema, c.Table), value, nil); err != nil {
			return fmt.Errorf("batching backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
		}
	}
	return nil
}

// SaveCursors writes the cursors in one synced commit, replacing those of
// the same tables. An empty cs writes nothing.
func (s *Store) SaveCursors(cs []Cursor) error {
	return s.SaveCheckpoint(nil, cs)
}

// SaveCheckpoint writes positions and backfill cursors in one synced
// commit: a cursor saved with the position past the transaction that
// carried its chunk is durable exactly when that position is. A cursor
// older (by Requested) than the one stored for its table is left out.
// Empty arguments write nothing.
func (s *Store) SaveCheckpoint(p map[string]change.Position, cs []Cursor) error {
	if len(p) == 0 && len(cs) == 0 {
		return nil
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if len(cs) > 0 {
		// Cursors are compared with the stored ones before they are
		// written; one writer at a time keeps that comparison true.
		s.cursorMu.Lock()
		defer s.cursorMu.Unlock()
	}
	b := s.db.NewBatch()
	if err := setPositions(b, p); err != nil {
		return errors.Join(err, b.Close())
	}
	if err := s.setCursors(b, cs); err != nil {
		return errors.Join(err, b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return fmt.Errorf("saving positions of %d sources and %d backfill cursors: %w", len(p), len(cs), err)
	}
	return nil
}

// Cursors returns every backfill cursor, ordered by source, schema and
// table.
func (s *Store) Cursors() ([]Cursor, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lower := keyPrefix(nsBackfill)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing backfill cursors: %w", err)
	}
	var out []Cursor
	for iter.First(); iter.Valid(); iter.Next() {
		c, err := decodeCursor(iter.Key(), iter.Value())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		out = append(out, c)
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing backfill cursors: %w", err)
	}
	return out, nil
}

// decodeCursor reads one stored cursor.
func decodeCursor(key, value []byte) (Cursor, error) {
	rest, ok := strings.CutPrefix(string(key), nsBackfill+"/")
	names := strings.Split(rest, "\x00")
	if !ok || len(names) != 4 || names[3] != "" {
		return Cursor{}, fmt.Errorf("checkpoint: malformed backfill key %q", key)
	}
	c := Cursor{Source: names[0], Schema: names[1], Table: names[2]}
	var rec cursorRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return Cursor{}, fmt.Errorf("decoding backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
	}
	after, err := decodeValues(rec.After)
	if err != nil {
		return Cursor{}, fmt.Errorf("decoding backfill cursor of %s on %s: %w", c.QualifiedName(), c.Source, err)
	}
	c.Key, c.After, c.Where, c.Chunks, c.Rows, c.Done, c.Failed, c.Estimate, c.Requested =
		rec.Key, after, rec.Where, rec.Chunks, rec.Rows, rec.Done, rec.Failed, rec.Estimate, rec.Requested
	return c, nil
}
