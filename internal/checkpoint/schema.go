package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// SchemaVersion is one version of a table's description in its history.
type SchemaVersion struct {
	// Ordinal is the binlog ordinal (see Ordinal) from which the version holds.
	Ordinal uint64
	// Table is the description; nil means the table does not exist from
	// Ordinal on (dropped or renamed away).
	Table *change.Table
}

// TableRef names a table of a source.
type TableRef struct {
	Schema, Table string
}

// schemaRecord is the stored value of a schema version. The wrapper leaves
// room for more fields next to the table.
type schemaRecord struct {
	Table *change.Table `json:"table"`
}

func checkTableNames(source, schema, table string) error {
	return errors.Join(checkName("source", source), checkName("schema", schema), checkName("table", table))
}

// PutSchema records, durably, that schema.table of source is described by t
// from ordinal on; t == nil records that the table does not exist from
// ordinal on. Writing the same ordinal again replaces that version, so
// replaying a DDL is harmless.
func (s *Store) PutSchema(source string, ordinal uint64, schema, table string, t *change.Table) error {
	if err := checkTableNames(source, schema, table); err != nil {
		return err
	}
	value, err := json.Marshal(schemaRecord{Table: t})
	if err != nil {
		return fmt.Errorf("encoding schema of %s.%s in source %s: %w", schema, table, source, err)
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	b := s.db.NewBatch()
	if err := b.Set(schemaKey(source, schema, table, ordinal), value, nil); err != nil {
		return errors.Join(fmt.Errorf("batching schema of %s.%s in source %s: %w", schema, table, source, err), b.Close())
	}
	if err := s.commitLocked(b); err != nil {
		return fmt.Errorf("saving schema of %s.%s in source %s at %d: %w", schema, table, source, ordinal, err)
	}
	return nil
}

// Schema returns the description of schema.table of source that holds at
// ordinal: the latest version recorded at or before it. It returns
// ErrNotFound if there is none, and ErrDropped (which is also ErrNotFound)
// if that version is a drop marker.
func (s *Store) Schema(source string, ordinal uint64, schema, table string) (*change.Table, error) {
	if err := checkTableNames(source, schema, table); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	// Every key under the prefix ends in exactly ordinalLen bytes, so the key
	// of ordinal followed by one more byte bounds the versions <= ordinal
	// without computing ordinal+1, which could overflow.
	upper := append(schemaKey(source, schema, table, ordinal), 0)
	iter, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: schemaPrefix(source, schema, table),
		UpperBound: upper,
	})
	if err != nil {
		return nil, fmt.Errorf("reading schema of %s.%s in source %s: %w", schema, table, source, err)
	}
	var rec schemaRecord
	found := iter.Last()
	if found {
		if err := json.Unmarshal(iter.Value(), &rec); err != nil {
			return nil, errors.Join(fmt.Errorf("decoding schema of %s.%s in source %s: %w", schema, table, source, err), iter.Close())
		}
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("reading schema of %s.%s in source %s: %w", schema, table, source, err)
	}
	switch {
	case !found:
		return nil, fmt.Errorf("schema of %s.%s in source %s at %d: %w", schema, table, source, ordinal, ErrNotFound)
	case rec.Table == nil:
		return nil, fmt.Errorf("schema of %s.%s in source %s at %d: %w", schema, table, source, ordinal, ErrDropped)
	}
	return rec.Table, nil
}

// SchemaVersions returns every recorded version of schema.table of source,
// oldest first; none is not an error.
func (s *Store) SchemaVersions(source, schema, table string) ([]SchemaVersion, error) {
	if err := checkTableNames(source, schema, table); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	lower := schemaPrefix(source, schema, table)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing schema versions of %s.%s in source %s: %w", schema, table, source, err)
	}
	var versions []SchemaVersion
	for iter.First(); iter.Valid(); iter.Next() {
		_, ordinal, err := parseSchemaKey(source, iter.Key())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		var rec schemaRecord
		if err := json.Unmarshal(iter.Value(), &rec); err != nil {
			return nil, errors.Join(fmt.Errorf("decoding schema of %s.%s in source %s at %d: %w", schema, table, source, ordinal, err), iter.Close())
		}
		versions = append(versions, SchemaVersion{Ordinal: ordinal, Table: rec.Table})
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing schema versions of %s.%s in source %s: %w", schema, table, source, err)
	}
	return versions, nil
}

// SchemaTables returns the tables of source that have a schema history,
// sorted by schema then table name (byte order).
func (s *Store) SchemaTables(source string) ([]TableRef, error) {
	if err := checkName("source", source); err != nil {
		return nil, err
	}
	return s.schemaTables(source, keyPrefix(nsSchema, source))
}

// SchemaTablesIn returns the names of the tables of schema in source that
// have a recorded history, dropped ones included, in key order.
func (s *Store) SchemaTablesIn(source, schema string) ([]string, error) {
	if err := errors.Join(checkName("source", source), checkName("schema", schema)); err != nil {
		return nil, err
	}
	refs, err := s.schemaTables(source, keyPrefix(nsSchema, source, schema))
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Table
	}
	return names, err
}

// schemaTables lists the tables of source whose history keys start with
// lower.
func (s *Store) schemaTables(source string, lower []byte) ([]TableRef, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, fmt.Errorf("listing tables of source %s: %w", source, err)
	}
	var tables []TableRef
	// One step per table: after reading a version, seek past all of that
	// table's versions.
	for valid := iter.First(); valid; {
		ref, _, err := parseSchemaKey(source, iter.Key())
		if err != nil {
			return nil, errors.Join(err, iter.Close())
		}
		tables = append(tables, ref)
		valid = iter.SeekGE(prefixEnd(schemaPrefix(source, ref.Schema, ref.Table)))
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("listing tables of source %s: %w", source, err)
	}
	return tables, nil
}
