package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// readKey runs q, a SELECT of key columns, and returns the first row's
// values typed as the sink's operations carry them (integers as int64 or
// uint64, binary strings as []byte, the rest as text), or nil without a
// row.
func (w *worker) readKey(ctx context.Context, q string, args []any) ([]change.Value, error) {
	rows, err := w.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	raw := make([]sql.RawBytes, len(types))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	key := make([]change.Value, len(raw))
	for i, v := range raw {
		if key[i], err = keyValue(types[i].DatabaseTypeName(), v); err != nil {
			return nil, fmt.Errorf("reading column %s: %w", types[i].Name(), err)
		}
	}
	return key, rows.Err()
}

// keyValue converts one column of a text-protocol row of type typ.
func keyValue(typ string, v sql.RawBytes) (change.Value, error) {
	if v == nil {
		return nil, nil
	}
	unsigned := strings.HasPrefix(typ, "UNSIGNED ")
	switch strings.TrimPrefix(typ, "UNSIGNED ") {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR":
		if unsigned {
			return strconv.ParseUint(string(v), 10, 64)
		}
		return strconv.ParseInt(string(v), 10, 64)
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "BIT":
		return []byte(string(v)), nil
	}
	return string(v), nil
}
