package decode

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// column says how the values of one column are converted.
type column struct {
	kind change.Kind
	// binlogType is the column's type in the table map, with ENUM and SET
	// told apart from CHAR.
	binlogType byte
	// width is an integer column's size in bytes.
	width int
	// fsp is the number of fractional second digits of a temporal column.
	fsp int
	// pad is N for BINARY(N): the server leaves trailing zero bytes out of
	// the binlog, and they are put back.
	pad int
	// decode converts a text column to UTF-8; nil when it is UTF-8 already.
	decode textDecoder
	// members are the ENUM or SET member names in definition order.
	members []string
}

var intTypes = map[byte]struct {
	name  string
	width int
}{
	mysql.MYSQL_TYPE_TINY:     {"tinyint", 1},
	mysql.MYSQL_TYPE_SHORT:    {"smallint", 2},
	mysql.MYSQL_TYPE_INT24:    {"mediumint", 3},
	mysql.MYSQL_TYPE_LONG:     {"int", 4},
	mysql.MYSQL_TYPE_LONGLONG: {"bigint", 8},
}

var geometryTypes = []string{"geometry", "point", "linestring", "polygon",
	"multipoint", "multilinestring", "multipolygon", "geometrycollection"}

// buildColumn describes column i of the table map. fb is the same column
// as the fallback table describes it, or nil.
func buildColumn(m *tableMeta, i int, fb *change.Column) (column, change.Column, error) {
	typ, meta := m.tm.ColumnType[i], m.tm.ColumnMeta[i]
	length := 0
	if typ == mysql.MYSQL_TYPE_STRING {
		typ, length = stringType(meta)
	}
	c := column{binlogType: typ}
	out := change.Column{}
	var err error
	switch typ {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24,
		mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG:
		it := intTypes[typ]
		c.width, c.kind, out.Type = it.width, change.KindInt, it.name
		if m.isUnsigned(i, fb) {
			c.kind, out.Type = change.KindUint, it.name+" unsigned"
		}
	case mysql.MYSQL_TYPE_FLOAT:
		c.kind, out.Type = change.KindFloat, "float"
	case mysql.MYSQL_TYPE_DOUBLE:
		c.kind, out.Type = change.KindDouble, "double"
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		c.kind, out.Type = change.KindDecimal, fmt.Sprintf("decimal(%d,%d)", meta>>8, meta&0xff)
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
		c.kind, out.Type = change.KindDate, "date"
	case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
		c.kind, c.fsp = change.KindTime, fspOf(typ, meta)
		out.Type = withPrecision("time", c.fsp)
	case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2:
		c.kind, c.fsp = change.KindDateTime, fspOf(typ, meta)
		out.Type = withPrecision("datetime", c.fsp)
	case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
		c.kind, c.fsp = change.KindTimestamp, fspOf(typ, meta)
		out.Type = withPrecision("timestamp", c.fsp)
	case mysql.MYSQL_TYPE_YEAR:
		c.kind, out.Type = change.KindYear, "year"
	case mysql.MYSQL_TYPE_BIT:
		c.kind, out.Type = change.KindBit, fmt.Sprintf("bit(%d)", (meta>>8)*8+meta&0xff)
	case mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET:
		kind, name := change.KindEnum, "enum"
		if typ == mysql.MYSQL_TYPE_SET {
			kind, name = change.KindSet, "set"
		}
		c.kind = kind
		if c.members, err = m.members(i, name, fb); err != nil {
			return column{}, change.Column{}, err
		}
		out.Type = membersType(name, c.members)
	case mysql.MYSQL_TYPE_STRING, mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_BLOB:
		if typ != mysql.MYSQL_TYPE_STRING {
			length = int(meta)
		}
		if err = textColumn(m, i, fb, length, &c, &out); err != nil {
			return column{}, change.Column{}, err
		}
	case mysql.MYSQL_TYPE_JSON:
		c.kind, out.Type = change.KindJSON, "json"
	case mysql.MYSQL_TYPE_GEOMETRY:
		c.kind, out.Type = change.KindGeometry, m.geometryType(i, fb)
	case mysql.MYSQL_TYPE_VECTOR:
		c.kind, out.Type = change.KindBytes, "vector"
	default:
		return column{}, change.Column{}, fmt.Errorf("unsupported binlog column type %d", typ)
	}
	out.Kind = c.kind
	if ok, nullable := m.tm.Nullable(i); ok {
		out.Nullable = nullable
	} else if fb != nil {
		out.Nullable = fb.Nullable
	}
	return c, out, nil
}

// stringType splits the metadata of a MYSQL_TYPE_STRING column into its
// real type (CHAR/BINARY, ENUM or SET) and its length in bytes, which may
// exceed 255 and then borrows two bits of the type byte.
func stringType(meta uint16) (byte, int) {
	if meta < 256 {
		return mysql.MYSQL_TYPE_STRING, int(meta)
	}
	b0, b1 := byte(meta>>8), meta&0xff
	if b0&0x30 != 0x30 {
		return b0 | 0x30, int(b1 | uint16((b0&0x30)^0x30)<<4)
	}
	return b0, int(b1)
}

func (m *tableMeta) isUnsigned(i int, fb *change.Column) bool {
	if m.unsigned != nil {
		return m.unsigned[i]
	}
	return fb != nil && fb.Kind == change.KindUint
}

func (m *tableMeta) geometryType(i int, fb *change.Column) string {
	if g, ok := m.geometry[i]; ok && g < uint64(len(geometryTypes)) {
		return geometryTypes[g]
	}
	if fb != nil && fb.Kind == change.KindGeometry && fb.Type != "" {
		return fb.Type
	}
	return "geometry"
}

// fspOf returns the fractional second digits of a temporal column; the
// types from before MySQL 5.6 have none.
func fspOf(typ byte, meta uint16) int {
	switch typ {
	case mysql.MYSQL_TYPE_TIME2, mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_TIMESTAMP2:
		return int(min(meta, 6))
	}
	return 0
}

func withPrecision(name string, fsp int) string {
	if fsp == 0 {
		return name
	}
	return fmt.Sprintf("%s(%d)", name, fsp)
}
