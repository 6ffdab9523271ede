package dms

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// keepFunc returns which columns of t a before image keeps under filter,
// nil for all of them.
func keepFunc(t *change.Table, filter string) func(int) bool {
	switch filter {
	case ColumnFilterPKOnly:
		if len(t.PrimaryKey) == 0 {
			// Without a primary key every column identifies the row.
			return nil
		}
		return func(j int) bool { return slices.Contains(t.PrimaryKey, j) }
	case ColumnFilterNonLOB:
		return func(j int) bool { return !IsLOB(t.Columns[j]) }
	}
	return nil
}

// IsLOB reports whether DMS treats the column as a large object, which
// its before image leaves out under ColumnFilterNonLOB: MySQL's TEXT and
// BLOB types of every size, and JSON, which DMS reads as a CLOB.
func IsLOB(col change.Column) bool {
	if col.Kind == change.KindJSON {
		return true
	}
	typ := strings.ToLower(col.Type)
	return strings.Contains(typ, "text") || strings.Contains(typ, "blob")
}

// PartitionValue returns DMS's "partition-key-value" of a data record
// keyed by primary key: the values of the primary key columns of the
// change's identifying image, joined by "." ("42", "7.2026-11-21"), after
// "schema.table." with includeSchemaTable ("public.foo.42"). A table
// without a primary key joins every column's value.
func PartitionValue(c *change.RowChange, includeSchemaTable bool) string {
	var b strings.Builder
	if includeSchemaTable {
		b.WriteString(c.Table.Schema)
		b.WriteByte('.')
		b.WriteString(c.Table.Name)
		b.WriteByte('.')
	}
	row := c.Identity()
	cols := c.Table.PrimaryKey
	if len(cols) == 0 {
		cols = make([]int, len(row))
		for j := range cols {
			cols[j] = j
		}
	}
	for k, j := range cols {
		if k > 0 {
			b.WriteByte('.')
		}
		b.WriteString(valueText(row[j]))
	}
	return b.String()
}

// valueText returns v as plain text: numbers in their shortest form,
// text as it is, binary as base64, NULL as "null".
func valueText(v change.Value) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	case change.Decimal:
		return string(v)
	case change.Temporal:
		return string(v)
	case change.JSON:
		return string(v)
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	}
	return fmt.Sprint(v)
}
