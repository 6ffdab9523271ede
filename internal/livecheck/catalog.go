package livecheck

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// tableName is a schema-qualified table name.
type tableName struct{ schema, name string }

func (t tableName) String() string { return t.schema + "." + t.name }

// table is what information_schema says about one table.
type table struct {
	// columns are in ordinal order.
	columns []column
	// primary lists the primary key columns in key order; nil without one.
	primary []string
}

// column is one column of a table.
type column struct {
	name string
	typ  colType
}

// find returns the column called name; fold compares without case.
func (t *table) find(name string, fold bool) (column, bool) {
	for _, c := range t.columns {
		if c.name == name || (fold && strings.EqualFold(c.name, name)) {
			return c, true
		}
	}
	return column{}, false
}

// catalog reads and caches the information_schema of one server.
type catalog struct {
	db *sql.DB
	// indexed caches each table's indexes (see indexes).
	indexed map[tableName][][]string
	// names lists the server's base tables outside the system schemas;
	// nil until listed.
	names []tableName
	// tables caches tables by name; nil for one that does not exist.
	tables map[tableName]*table
}

func newCatalog(db *sql.DB) *catalog {
	return &catalog{db: db, tables: map[tableName]*table{}, indexed: map[tableName][][]string{}}
}

const listTables = `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_TYPE = 'BASE TABLE'
  AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY TABLE_SCHEMA, TABLE_NAME`

// list returns the server's base tables outside the system schemas.
func (c *catalog) list(ctx context.Context) ([]tableName, error) {
	if c.names != nil {
		return c.names, nil
	}
	rows, err := c.db.QueryContext(ctx, listTables)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	names := []tableName{}
	for rows.Next() {
		var t tableName
		if err := rows.Scan(&t.schema, &t.name); err != nil {
			return nil, fmt.Errorf("listing tables: %w", err)
		}
		names = append(names, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	c.names = names
	return names, nil
}

const listColumns = `SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE),
  CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,
  DATETIME_PRECISION, CHARACTER_SET_NAME
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`

const listPrimary = `SELECT COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'
ORDER BY SEQ_IN_INDEX`

// table returns the columns and primary key of name, or nil when the table
// does not exist.
func (c *catalog) table(ctx context.Context, name tableName) (*table, error) {
	if t, ok := c.tables[name]; ok {
		return t, nil
	}
	t, err := c.read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", name, err)
	}
	c.tables[name] = t
	return t, nil
}

// read queries the columns and primary key of name.
func (c *catalog) read(ctx context.Context, name tableName) (*table, error) {
	rows, err := c.db.QueryContext(ctx, listColumns, name.schema, name.name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &table{}
	for rows.Next() {
		var col column
		var maxChars, octets, precision, scale, fsp sql.NullInt64
		var charset sql.NullString
		if err := rows.Scan(&col.name, &col.typ.dataType, &col.typ.columnType,
			&maxChars, &octets, &precision, &scale, &fsp, &charset); err != nil {
			return nil, err
		}
		col.typ.maxChars, col.typ.octets = maxChars.Int64, octets.Int64
		col.typ.precision, col.typ.scale, col.typ.fsp = precision.Int64, scale.Int64, fsp.Int64
		col.typ.charset = charset.String
		t.columns = append(t.columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.columns) == 0 {
		return nil, nil
	}
	keys, err := c.db.QueryContext(ctx, listPrimary, name.schema, name.name)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	for keys.Next() {
		var k string
		if err := keys.Scan(&k); err != nil {
			return nil, err
		}
		t.primary = append(t.primary, k)
	}
	return t, keys.Err()
}

const listIndexes = `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
ORDER BY INDEX_NAME, SEQ_IN_INDEX`

// indexes returns the columns of each index of name, in index order.
func (c *catalog) indexes(ctx context.Context, name tableName) ([][]string, error) {
	if ix, ok := c.indexed[name]; ok {
		return ix, nil
	}
	rows, err := c.db.QueryContext(ctx, listIndexes, name.schema, name.name)
	if err != nil {
		return nil, fmt.Errorf("reading the indexes of %s: %w", name, err)
	}
	defer rows.Close()
	var out [][]string
	last := ""
	for rows.Next() {
		var index, col string
		if err := rows.Scan(&index, &col); err != nil {
			return nil, fmt.Errorf("reading the indexes of %s: %w", name, err)
		}
		if len(out) == 0 || index != last {
			out = append(out, nil)
			last = index
		}
		out[len(out)-1] = append(out[len(out)-1], col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the indexes of %s: %w", name, err)
	}
	c.indexed[name] = out
	return out, nil
}
