package decode

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ErrNoTable is returned by LoadTable when the table does not exist.
var ErrNoTable = errors.New("table does not exist")

const columnsQuery = `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME,
	CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`

const primaryKeyQuery = `SELECT COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'
ORDER BY SEQ_IN_INDEX`

const checksQuery = `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`

// LoadTable describes schema.table from information_schema: columns in
// order with their kinds, types (in the same words NewDecoder uses),
// character sets and nullability, ENUM/SET members (in Type), and the
// primary key. On MariaDB a LONGTEXT column with a json_valid CHECK
// constraint is a JSON column and gets KindJSON. It returns ErrNoTable when
// the table does not exist.
func LoadTable(ctx context.Context, db *sql.DB, schema, table string) (*change.Table, error) {
	t := &change.Table{Schema: schema, Name: table}
	longtext, err := loadColumns(ctx, db, t)
	if err != nil {
		return nil, err
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("describing %s: %w", t.QualifiedName(), ErrNoTable)
	}
	if longtext {
		if err := markJSON(ctx, db, t); err != nil {
			return nil, err
		}
	}
	if err := loadPrimaryKey(ctx, db, t); err != nil {
		return nil, err
	}
	return t, nil
}

// loadColumns appends t's columns and reports whether one is a LONGTEXT.
func loadColumns(ctx context.Context, db *sql.DB, t *change.Table) (longtext bool, err error) {
	rows, err := db.QueryContext(ctx, columnsQuery, t.Schema, t.Name)
	if err != nil {
		return false, fmt.Errorf("reading columns of %s: %w", t.QualifiedName(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var r schemaColumn
		if err := rows.Scan(&r.name, &r.dataType, &r.columnType, &r.nullable, &r.charset,
			&r.charLength, &r.precision, &r.scale, &r.fsp); err != nil {
			return false, fmt.Errorf("reading columns of %s: %w", t.QualifiedName(), err)
		}
		col, err := r.column()
		if err != nil {
			return false, fmt.Errorf("reading columns of %s, column %s: %w", t.QualifiedName(), r.name, err)
		}
		longtext = longtext || col.Type == "longtext"
		t.Columns = append(t.Columns, col)
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("reading columns of %s: %w", t.QualifiedName(), err)
	}
	return longtext, nil
}

var jsonCheck = regexp.MustCompile("(?i)^\\s*json_valid\\(\\s*`((?:[^`]|``)+)`\\s*\\)\\s*$")

// markJSON gives KindJSON to the LONGTEXT columns that MariaDB created for
// the JSON type: their column-level constraint is json_valid(`name`).
// MySQL has a real JSON type and no TABLE_NAME in CHECK_CONSTRAINTS, so it
// is skipped there.
func markJSON(ctx context.Context, db *sql.DB, t *change.Table) error {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return fmt.Errorf("reading server version: %w", err)
	}
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return nil
	}
	rows, err := db.QueryContext(ctx, checksQuery, t.Schema, t.Name)
	if err != nil {
		return fmt.Errorf("reading check constraints of %s: %w", t.QualifiedName(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var clause string
		if err := rows.Scan(&clause); err != nil {
			return fmt.Errorf("reading check constraints of %s: %w", t.QualifiedName(), err)
		}
		m := jsonCheck.FindStringSubmatch(clause)
		if m == nil {
			continue
		}
		i := t.ColumnIndex(strings.ReplaceAll(m[1], "``", "`"))
		if i >= 0 && t.Columns[i].Type == "longtext" {
			c := &t.Columns[i]
			c.Kind, c.Type, c.Charset = change.KindJSON, "json", ""
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading check constraints of %s: %w", t.QualifiedName(), err)
	}
	return nil
}

func loadPrimaryKey(ctx context.Context, db *sql.DB, t *change.Table) error {
	rows, err := db.QueryContext(ctx, primaryKeyQuery, t.Schema, t.Name)
	if err != nil {
		return fmt.Errorf("reading primary key of %s: %w", t.QualifiedName(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("reading primary key of %s: %w", t.QualifiedName(), err)
		}
		i := t.ColumnIndex(name)
		if i < 0 {
			return fmt.Errorf("reading primary key of %s: column %s not found", t.QualifiedName(), name)
		}
		t.PrimaryKey = append(t.PrimaryKey, i)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading primary key of %s: %w", t.QualifiedName(), err)
	}
	return nil
}
