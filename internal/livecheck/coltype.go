package livecheck

import (
	"strconv"
	"strings"
)

// colType is a column's type as information_schema.COLUMNS describes it.
type colType struct {
	// dataType is DATA_TYPE and columnType COLUMN_TYPE, both lower case.
	dataType, columnType string
	// maxChars and octets are CHARACTER_MAXIMUM_LENGTH and
	// CHARACTER_OCTET_LENGTH; zero when NULL.
	maxChars, octets int64
	// precision and scale are NUMERIC_PRECISION and NUMERIC_SCALE.
	precision, scale int64
	// fsp is DATETIME_PRECISION.
	fsp int64
	// charset is CHARACTER_SET_NAME; empty for non-character columns.
	charset string
}

// class groups types that convert alike.
type class uint8

const (
	classOther class = iota
	classInt
	classBit
	classDecimal
	classFloat
	classDouble
	classDate
	classDateTime
	classTimestamp
	classTime
	classYear
	classChar // CHAR and VARCHAR: limited in characters
	classText // TINYTEXT to LONGTEXT and JSON: limited in bytes
	classBinary
	classBlob
	classEnum
	classSet
)

var classes = map[string]class{
	"tinyint": classInt, "smallint": classInt, "mediumint": classInt, "int": classInt, "integer": classInt, "bigint": classInt,
	"bit": classBit, "decimal": classDecimal, "numeric": classDecimal,
	"float": classFloat, "double": classDouble, "real": classDouble,
	"date": classDate, "datetime": classDateTime, "timestamp": classTimestamp, "time": classTime, "year": classYear,
	"char": classChar, "varchar": classChar,
	"tinytext": classText, "text": classText, "mediumtext": classText, "longtext": classText, "json": classText,
	"binary": classBinary, "varbinary": classBinary,
	"tinyblob": classBlob, "blob": classBlob, "mediumblob": classBlob, "longblob": classBlob,
	"enum": classEnum, "set": classSet,
}

// intBytes is the storage size of each integer type.
var intBytes = map[string]int{"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8}

func (c colType) class() class { return classes[c.dataType] }

// unsigned reports whether a numeric column is UNSIGNED.
func (c colType) unsigned() bool { return strings.Contains(c.columnType, "unsigned") }

// String is the column type as MySQL prints it, with its character set.
func (c colType) String() string {
	if c.charset != "" && c.charset != "binary" {
		return c.columnType + " " + c.charset
	}
	return c.columnType
}

// valueBits is the number of bits an integer's magnitude needs.
func (c colType) valueBits() int {
	bits := 8 * intBytes[c.dataType]
	if !c.unsigned() {
		bits--
	}
	return bits
}

// maxInt is the largest value of an integer column.
func (c colType) maxInt() uint64 {
	return 1<<c.valueBits() - 1
}

// elements lists the values of an ENUM or SET column.
func (c colType) elements() []string {
	s := c.columnType
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return nil
	}
	s = s[open+1 : closing]
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case !in && ch == '\'':
			in = true
		case in && ch == '\'' && i+1 < len(s) && s[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case in && ch == '\'':
			in = false
			out = append(out, cur.String())
			cur.Reset()
		case in && ch == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case in:
			cur.WriteByte(ch)
		}
	}
	return out
}

// textLen is the most characters a value of c needs as text, or zero when
// that is not known.
func (c colType) textLen() int64 {
	switch c.class() {
	case classInt:
		n := int64(len(strconv.FormatUint(c.maxInt(), 10)))
		if !c.unsigned() {
			n++
		}
		return n
	case classDecimal:
		n := c.precision + 1
		if c.scale > 0 {
			n++
		}
		return n
	case classFloat, classDouble:
		return 24
	case classBit:
		if c.precision >= 64 {
			return 20
		}
		return int64(len(strconv.FormatUint(1<<c.precision-1, 10)))
	case classDate:
		return 10
	case classDateTime, classTimestamp:
		return 19 + fracLen(c.fsp)
	case classTime:
		return 10 + fracLen(c.fsp)
	case classYear:
		return 4
	case classChar, classText, classEnum, classSet:
		return c.maxChars
	}
	return 0
}

// fracLen is the text length of fsp fractional digits with their point.
func fracLen(fsp int64) int64 {
	if fsp > 0 {
		return fsp + 1
	}
	return 0
}
