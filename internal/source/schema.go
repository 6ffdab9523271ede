package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// tableLoader describes a table as it is now.
type tableLoader func(ctx context.Context, schema, table string) (*change.Table, error)

// tableEntry is a cached table map: its decoder, or nil when excluded.
type tableEntry struct {
	schema, name string
	columns      uint64
	dec          *decode.Decoder
}

// schemaTracker turns table maps into decoders and keeps schema history
// current across DDL. Decoders are cached per table id until the next DDL
// or binlog rotation, when table ids may be reused.
type schemaTracker struct {
	source  string
	include func(schema, table string) bool
	history SchemaHistory
	load    tableLoader
	log     *slog.Logger
	// flavor is the server's; fold lower-cases names from DDL text, for
	// lower_case_table_names=1.
	flavor string
	fold   bool
	cache  map[uint64]*tableEntry
}

// included reports whether rows of t are wanted.
func (s *schemaTracker) included(t tableRef) bool {
	t = s.fold1(t)
	return s.include == nil || s.include(t.Schema, t.Name)
}

// reset forgets every decoder.
func (s *schemaTracker) reset() { clear(s.cache) }

// tableMap prepares the decoder for tm, the table map ending at at.
func (s *schemaTracker) tableMap(ctx context.Context, tm *replication.TableMapEvent, at change.Position) error {
	// Compared as bytes: every statement brings a table map, usually the
	// one cached, and converting its names would allocate for each.
	if e, ok := s.cache[tm.TableID]; ok && e.schema == string(tm.Schema) && e.name == string(tm.Table) && e.columns == tm.ColumnCount {
		return nil
	}
	schema, name := string(tm.Schema), string(tm.Table)
	if s.cache == nil {
		s.cache = map[uint64]*tableEntry{}
	}
	e := &tableEntry{schema: schema, name: name, columns: tm.ColumnCount}
	if s.include != nil && !s.include(schema, name) {
		s.cache[tm.TableID] = e
		return nil
	}
	var fallback *change.Table
	var err error
	switch {
	case !decode.HasNames(tm):
		fallback, err = s.describe(ctx, schema, name, at)
	case s.flavor == change.MariaDB && hasLongText(tm):
		fallback, err = s.hint(ctx, schema, name, at)
	}
	if err != nil {
		return err
	}
	dec, err := decode.NewDecoder(tm, fallback)
	if err != nil {
		return permanent(fmt.Errorf("preparing decoder for %s.%s: %w", schema, name, err))
	}
	e.dec = dec
	s.cache[tm.TableID] = e
	return nil
}

// decoder returns the decoder for the table id of a rows event; nil when
// the table is excluded.
func (s *schemaTracker) decoder(tableID uint64) (*decode.Decoder, error) {
	e, ok := s.cache[tableID]
	if !ok {
		return nil, permanent(fmt.Errorf("rows event for table id %d without a table map", tableID))
	}
	return e.dec, nil
}

// describe returns the description of schema.table at at from history,
// or, when history has none, the current one, which it records there.
func (s *schemaTracker) describe(ctx context.Context, schema, table string, at change.Position) (*change.Table, error) {
	if s.history == nil {
		return nil, permanent(fmt.Errorf("table map of %s.%s has no column names (binlog_row_metadata is not FULL) "+
			"and no schema history is configured", schema, table))
	}
	ord, err := at.Ordinal()
	if err != nil {
		return nil, permanent(err)
	}
	if t, err := s.history.Schema(s.source, ord, schema, table); err == nil && t != nil {
		return t, nil
	}
	t, err := s.loadTable(ctx, schema, table)
	if err != nil {
		return nil, fmt.Errorf("describing %s.%s: %w", schema, table, err)
	}
	if err := s.history.PutSchema(s.source, ord, schema, table, t); err != nil {
		return nil, permanent(fmt.Errorf("recording schema of %s.%s: %w", schema, table, err))
	}
	return t, nil
}

// hint returns a description that only completes a table map with column
// names: MariaDB logs JSON columns as LONGTEXT, and only the schema tells
// them apart. History serves it, else the table as it is now; the decoder
// uses it only for columns whose name and type still match.
func (s *schemaTracker) hint(ctx context.Context, schema, table string, at change.Position) (*change.Table, error) {
	if s.history != nil {
		if ord, err := at.Ordinal(); err == nil {
			if t, err := s.history.Schema(s.source, ord, schema, table); err == nil && t != nil {
				return t, nil
			}
		}
	}
	t, err := s.loadTable(ctx, schema, table)
	if errors.Is(err, decode.ErrNoTable) {
		return nil, nil
	}
	return t, err
}

// hasLongText reports whether tm has a LONGTEXT or LONGBLOB column.
func hasLongText(tm *replication.TableMapEvent) bool {
	for i, typ := range tm.ColumnType {
		if typ == gomysql.MYSQL_TYPE_BLOB && i < len(tm.ColumnMeta) && tm.ColumnMeta[i] == 4 {
			return true
		}
	}
	return false
}

func (s *schemaTracker) loadTable(ctx context.Context, schema, table string) (*change.Table, error) {
	if s.load == nil {
		return nil, errors.New("no connection to describe tables")
	}
	t, err := s.load(ctx, schema, table)
	if errors.Is(err, decode.ErrNoTable) {
		return nil, permanent(err)
	}
	return t, err
}

// applyDDL records in history the tables that d created, changed, renamed
// or dropped, and returns the events of d that could make a target
// diverge: truncates, drops and renames of included tables, and alters
// that dropped or retyped their columns. The events are the same when
// the statement is read again after a restart.
func (s *schemaTracker) applyDDL(ctx context.Context, d *ddl, at change.Position) ([]change.DDL, error) {
	s.reset()
	if err := s.dropSchema(d, at); err != nil {
		return nil, err
	}
	var events []change.DDL
	for _, t := range d.Truncated {
		if s.included(t) {
			t = s.fold1(t)
			events = append(events, change.DDL{Kind: change.DDLTruncate, Schema: t.Schema, Table: t.Name})
		}
	}
	moved := map[tableRef]bool{}
	for _, r := range d.Renamed {
		moved[r.From], moved[r.To] = true, true
		if s.included(r.From) || s.included(r.To) {
			from, to := s.fold1(r.From), s.fold1(r.To)
			events = append(events, change.DDL{Kind: change.DDLRename, Schema: from.Schema, Table: from.Name,
				NewSchema: to.Schema, NewTable: to.Name})
		}
	}
	for _, t := range d.Dropped {
		if !moved[t] && s.included(t) {
			t = s.fold1(t)
			events = append(events, change.DDL{Kind: change.DDLDrop, Schema: t.Schema, Table: t.Name})
		}
	}
	if s.history == nil {
		return events, nil
	}
	ord, err := at.Ordinal()
	if err != nil {
		return nil, permanent(err)
	}
	for _, t := range d.Dropped {
		if !s.included(t) {
			continue
		}
		t = s.fold1(t)
		if err := s.history.PutSchema(s.source, ord, t.Schema, t.Name, nil); err != nil {
			return nil, permanent(fmt.Errorf("recording drop of %s.%s: %w", t.Schema, t.Name, err))
		}
	}
	for _, t := range d.Describe {
		if !s.included(t) {
			continue
		}
		t = s.fold1(t)
		var before *change.Table
		if ord > 0 {
			before, _ = s.history.Schema(s.source, ord-1, t.Schema, t.Name)
		}
		var desc *change.Table
		if s.recordedAt(t, ord) {
			desc, _ = s.history.Schema(s.source, ord, t.Schema, t.Name)
		} else {
			desc, err = s.loadTable(ctx, t.Schema, t.Name)
			if errors.Is(err, decode.ErrNoTable) {
				// Dropped since; the DROP, when read, records that.
				s.log.Warn("table changed by DDL no longer exists; not recorded", "table", t.Schema+"."+t.Name)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("describing %s.%s after DDL: %w", t.Schema, t.Name, err)
			}
			if err := s.history.PutSchema(s.source, ord, t.Schema, t.Name, desc); err != nil {
				return nil, permanent(fmt.Errorf("recording schema of %s.%s: %w", t.Schema, t.Name, err))
			}
		}
		if cols := lostColumns(before, desc); !moved[t] && len(cols) > 0 {
			events = append(events, change.DDL{Kind: change.DDLAlter, Schema: t.Schema, Table: t.Name, Columns: cols})
		}
	}
	return events, nil
}

// dropSchema adds to d.Dropped every included table of d.DroppedSchema
// that existed before at, as the schema history knows them (it records
// included tables only); with no history there is none. Read again after
// a restart, the statement finds the same tables: their drops are
// recorded at at.
func (s *schemaTracker) dropSchema(d *ddl, at change.Position) error {
	if d.DroppedSchema == "" || s.history == nil {
		return nil
	}
	ord, err := at.Ordinal()
	if err != nil {
		return permanent(err)
	}
	if ord == 0 {
		return nil // nothing was recorded before the first position
	}
	schema := s.fold1(tableRef{Schema: d.DroppedSchema}).Schema
	names, err := s.history.SchemaTablesIn(s.source, schema)
	if err != nil {
		return permanent(fmt.Errorf("listing the tables of dropped database %s: %w", schema, err))
	}
	for _, name := range names {
		if t, err := s.history.Schema(s.source, ord-1, schema, name); err == nil && t != nil {
			d.Dropped = append(d.Dropped, tableRef{Schema: schema, Name: name})
		}
	}
	return nil
}

// touched returns "schema.table" of every included table d created,
// altered, renamed, dropped or truncated, each once.
func (s *schemaTracker) touched(d ddl) []string {
	var out []string
	for _, refs := range [][]tableRef{d.Describe, d.Dropped, d.Truncated} {
		for _, t := range refs {
			if !s.included(t) {
				continue
			}
			t = s.fold1(t)
			if name := t.Schema + "." + t.Name; !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// lostColumns returns the columns of before that after no longer has, or
// has retyped (widen.go): the values a target copied from them would no
// longer match. Widening a type (varchar(100) to varchar(255), int to
// bigint) loses nothing.
func lostColumns(before, after *change.Table) []string {
	if before == nil || after == nil {
		return nil
	}
	var out []string
	for _, c := range before.Columns {
		i := after.ColumnIndex(c.Name)
		if i < 0 || retyped(c, after.Columns[i]) {
			out = append(out, c.Name)
		}
	}
	return out
}

// recordedAt reports whether history holds a version of t recorded exactly
// at ord: the version at ord exists and differs from the one before.
func (s *schemaTracker) recordedAt(t tableRef, ord uint64) bool {
	at, err := s.history.Schema(s.source, ord, t.Schema, t.Name)
	if err != nil || at == nil || ord == 0 {
		return false
	}
	before, err := s.history.Schema(s.source, ord-1, t.Schema, t.Name)
	return err != nil || !reflect.DeepEqual(at, before)
}

func (s *schemaTracker) fold1(t tableRef) tableRef {
	if s.fold {
		t.Schema, t.Name = strings.ToLower(t.Schema), strings.ToLower(t.Name)
	}
	return t
}
