package decode

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

var blobSizes = [...]string{1: "tiny", 2: "", 3: "medium", 4: "long"}

// textColumn fills in a CHAR, BINARY, VARCHAR, VARBINARY, TEXT or BLOB
// column (and MariaDB's JSON, a LONGTEXT). length is the column's size in
// bytes for CHAR/VARCHAR and the length prefix size for TEXT/BLOB.
func textColumn(m *tableMeta, i int, fb *change.Column, length int, c *column, out *change.Column) error {
	cs, err := m.charset(i, fb)
	if err != nil {
		return err
	}
	info, err := lookupCharset(cs)
	if err != nil {
		return err
	}
	binary := cs == binaryCharset
	switch {
	case binary:
		c.kind = change.KindBytes
	case c.binlogType == mysql.MYSQL_TYPE_BLOB && fb != nil && fb.Kind == change.KindJSON:
		c.kind = change.KindJSON
	default:
		c.kind, c.decode, out.Charset = change.KindString, info.decode, cs
	}
	if c.kind == change.KindJSON {
		c.decode = info.decode
	}
	chars := length / max(info.maxLen, 1)
	switch c.binlogType {
	case mysql.MYSQL_TYPE_STRING:
		if binary {
			c.pad, out.Type = length, fmt.Sprintf("binary(%d)", length)
		} else {
			out.Type = fmt.Sprintf("char(%d)", chars)
		}
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING:
		if binary {
			out.Type = fmt.Sprintf("varbinary(%d)", length)
		} else {
			out.Type = fmt.Sprintf("varchar(%d)", chars)
		}
	default:
		if length < 1 || length >= len(blobSizes) {
			return fmt.Errorf("invalid blob length size %d", length)
		}
		switch {
		case c.kind == change.KindJSON:
			out.Type = "json"
		case binary:
			out.Type = blobSizes[length] + "blob"
		default:
			out.Type = blobSizes[length] + "text"
		}
	}
	return nil
}
