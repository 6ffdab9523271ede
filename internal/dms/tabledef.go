package dms

import (
	"strconv"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// OpCreateTable is the operation of the control record that describes a
// table (DMS's IncludeControlDetails): DMS sends one for each table when
// its task starts, before the table's rows.
const OpCreateTable = "create-table"

// AppendCreateTable appends the create-table control record of t to dst
// (no trailing newline) and returns it; at is its "timestamp".
//
// The record is {"control":{"table-def":{"columns":{...},"primary-key":
// [...]}},"metadata":{...}}: each column, in table order, as
// {"type":T[,"length":N][,"precision":P,"scale":S],"nullable":B} with T
// one of the type names DMS writes there (see TableDefType), and the
// primary key's column names, left out for a table without one. Like
// DMS's, it has "partition-key-type" "task-id" and no transaction fields.
func AppendCreateTable(dst []byte, t *change.Table, at time.Time, opts Options) []byte {
	dst = append(dst, `{"control":{"table-def":{"columns":{`...)
	for j, col := range t.Columns {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, col.Name)
		typ, length, precision, scale := TableDefType(col)
		dst = append(dst, `:{"type":"`...)
		dst = append(dst, typ...)
		dst = append(dst, '"')
		if length > 0 {
			dst = append(dst, `,"length":`...)
			dst = strconv.AppendInt(dst, int64(length), 10)
		}
		if precision > 0 {
			dst = append(dst, `,"precision":`...)
			dst = strconv.AppendInt(dst, int64(precision), 10)
			dst = append(dst, `,"scale":`...)
			dst = strconv.AppendInt(dst, int64(scale), 10)
		}
		dst = append(dst, `,"nullable":`...)
		dst = strconv.AppendBool(dst, col.Nullable)
		dst = append(dst, '}')
	}
	dst = append(dst, '}')
	if len(t.PrimaryKey) > 0 {
		dst = append(dst, `,"primary-key":[`...)
		for k, j := range t.PrimaryKey {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, t.Columns[j].Name)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `}},"metadata":{"timestamp":`...)
	dst = appendTime(dst, at)
	dst = append(dst, `,"record-type":"control","operation":"`+OpCreateTable+`"`...)
	dst = appendTaskKey(dst, opts)
	dst = append(dst, `,"schema-name":`...)
	dst = appendString(dst, t.Schema)
	dst = append(dst, `,"table-name":`...)
	dst = appendString(dst, t.Name)
	return append(dst, '}', '}')
}

// TableDefType returns the type name of col in a create-table record and
// its length (text and binary), or precision and scale (DECIMAL); zero
// when they do not apply. The names are those of DMS's table definitions
// (INT32, INT64, STRING, TIMESTAMP in records of real tasks; the others
// of the same family: INT8, INT16, UINT8..UINT64, DECIMAL, FLOAT, DOUBLE,
// DATE, TIME, BYTES). Large objects have no length: DMS writes its own
// TEXT columns as STRING without one.
func TableDefType(col change.Column) (typ string, length, precision, scale int) {
	decl := strings.ToLower(col.Type)
	base, args := decl, ""
	if i := strings.IndexByte(decl, '('); i >= 0 {
		base = decl[:i]
		if j := strings.IndexByte(decl[i:], ')'); j > 0 {
			args = decl[i+1 : i+j]
		}
	}
	base = strings.TrimSpace(base)
	if i := strings.IndexByte(base, ' '); i >= 0 {
		base = base[:i] // "tinyint unsigned"
	}
	n := func(k int) int {
		parts := strings.Split(args, ",")
		if k >= len(parts) {
			return 0
		}
		v, _ := strconv.Atoi(strings.TrimSpace(parts[k]))
		return v
	}
	switch col.Kind {
	case change.KindInt, change.KindUint:
		bits := "64"
		switch base {
		case "tinyint":
			bits = "8"
		case "smallint":
			bits = "16"
		case "mediumint", "int", "integer":
			bits = "32"
		}
		if col.Kind == change.KindUint {
			return "UINT" + bits, 0, 0, 0
		}
		return "INT" + bits, 0, 0, 0
	case change.KindYear:
		return "INT32", 0, 0, 0
	case change.KindFloat:
		return "FLOAT", 0, 0, 0
	case change.KindDouble:
		return "DOUBLE", 0, 0, 0
	case change.KindDecimal:
		return "DECIMAL", 0, n(0), n(1)
	case change.KindDate:
		return "DATE", 0, 0, 0
	case change.KindTime:
		return "TIME", 0, 0, 0
	case change.KindDateTime, change.KindTimestamp:
		return "TIMESTAMP", 0, 0, 0
	case change.KindJSON:
		return "STRING", 0, 0, 0
	case change.KindBytes, change.KindGeometry, change.KindBit:
		if IsLOB(col) || col.Kind != change.KindBytes {
			return "BYTES", 0, 0, 0
		}
		return "BYTES", n(0), 0, 0
	}
	if IsLOB(col) {
		return "STRING", 0, 0, 0
	}
	return "STRING", n(0), 0, 0
}
