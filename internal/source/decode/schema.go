package decode

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// schemaColumn is one row of information_schema.COLUMNS.
type schemaColumn struct {
	name, dataType, columnType, nullable string
	charset                              sql.NullString
	charLength, precision, scale, fsp    sql.NullInt64
}

var schemaKinds = map[string]change.Kind{
	"tinyint": change.KindInt, "smallint": change.KindInt, "mediumint": change.KindInt,
	"int": change.KindInt, "bigint": change.KindInt,
	"float": change.KindFloat, "double": change.KindDouble, "decimal": change.KindDecimal,
	"date": change.KindDate, "time": change.KindTime, "datetime": change.KindDateTime,
	"timestamp": change.KindTimestamp, "year": change.KindYear,
	"char": change.KindString, "varchar": change.KindString, "tinytext": change.KindString,
	"text": change.KindString, "mediumtext": change.KindString, "longtext": change.KindString,
	"binary": change.KindBytes, "varbinary": change.KindBytes, "tinyblob": change.KindBytes,
	"blob": change.KindBytes, "mediumblob": change.KindBytes, "longblob": change.KindBytes,
	"vector": change.KindBytes, "json": change.KindJSON,
	"enum": change.KindEnum, "set": change.KindSet, "bit": change.KindBit,
	"geometry": change.KindGeometry, "point": change.KindGeometry, "linestring": change.KindGeometry,
	"polygon": change.KindGeometry, "multipoint": change.KindGeometry,
	"multilinestring": change.KindGeometry, "multipolygon": change.KindGeometry,
	"geometrycollection": change.KindGeometry, "geomcollection": change.KindGeometry,
}

// column turns the row into a change.Column whose Type uses the same words
// as a column described from a table map ("int unsigned", "varchar(20)",
// "datetime(6)", "enum('a','b')"). Types it does not know keep their
// COLUMN_TYPE and KindUnknown.
func (r *schemaColumn) column() (change.Column, error) {
	dt := strings.ToLower(r.dataType)
	ct := strings.ToLower(r.columnType)
	kind, known := schemaKinds[dt]
	col := change.Column{Name: r.name, Kind: kind, Type: dt, Nullable: r.nullable == "YES"}
	switch kind {
	case change.KindInt:
		if strings.Contains(ct, "unsigned") {
			col.Kind, col.Type = change.KindUint, dt+" unsigned"
		}
	case change.KindDecimal:
		col.Type = fmt.Sprintf("decimal(%d,%d)", r.precision.Int64, r.scale.Int64)
	case change.KindTime, change.KindDateTime, change.KindTimestamp:
		col.Type = withPrecision(dt, int(r.fsp.Int64))
	case change.KindBit:
		col.Type = fmt.Sprintf("bit(%d)", r.precision.Int64)
	case change.KindEnum, change.KindSet:
		members, _, err := parseMembers(dt, r.columnType)
		if err != nil {
			return change.Column{}, err
		}
		col.Type = membersType(dt, members)
	case change.KindString:
		col.Charset = normalizeCharset(r.charset.String)
		if dt == "char" || dt == "varchar" {
			col.Type = fmt.Sprintf("%s(%d)", dt, r.charLength.Int64)
		}
	case change.KindBytes:
		if dt == "binary" || dt == "varbinary" {
			col.Type = fmt.Sprintf("%s(%d)", dt, r.charLength.Int64)
		}
	case change.KindGeometry:
		if dt == "geomcollection" {
			col.Type = "geometrycollection"
		}
	}
	if !known {
		col.Type = r.columnType
	}
	return col, nil
}
