package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source/decode"
)

// seed records, at the start position, the current description of every
// included table that history has none for. Without column names in the
// table maps, rows read before a later DDL need the description from
// before it, which information_schema no longer has by the time they are
// read.
func (s *schemaTracker) seed(ctx context.Context, db *sql.DB, start change.Position) error {
	ord, err := start.Ordinal()
	if err != nil {
		return permanent(fmt.Errorf("seeding schema history: %w", err))
	}
	tables, err := baseTables(ctx, db)
	if err != nil {
		return err
	}
	recorded := 0
	for _, t := range tables {
		if s.include != nil && !s.include(t.Schema, t.Name) {
			continue
		}
		if _, err := s.history.Schema(s.source, ord, t.Schema, t.Name); err == nil {
			continue
		}
		desc, err := s.loadTable(ctx, t.Schema, t.Name)
		if errors.Is(err, decode.ErrNoTable) {
			continue // dropped meanwhile
		}
		if err != nil {
			return fmt.Errorf("describing %s.%s: %w", t.Schema, t.Name, err)
		}
		if err := s.history.PutSchema(s.source, ord, t.Schema, t.Name, desc); err != nil {
			return permanent(fmt.Errorf("recording schema of %s.%s: %w", t.Schema, t.Name, err))
		}
		recorded++
	}
	s.log.Info("schema history seeded", "tables", recorded, "at", start.String())
	return nil
}

// baseTables lists the user tables of the server.
func baseTables(ctx context.Context, db *sql.DB) ([]tableRef, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_TYPE = 'BASE TABLE'
		AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var out []tableRef
	for rows.Next() {
		var t tableRef
		if err := rows.Scan(&t.Schema, &t.Name); err != nil {
			return nil, fmt.Errorf("listing tables: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	return out, nil
}
