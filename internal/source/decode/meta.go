package decode

import (
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
)

// tableMeta is what one table map says about its columns, decoded once,
// plus the fallback description of the same table, if any.
type tableMeta struct {
	tm *replication.TableMapEvent
	// full is set when the table map carries column names, and with them
	// ENUM/SET members and the primary key (binlog_row_metadata=FULL).
	full              bool
	unsigned          map[int]bool
	collations        map[int]uint64
	enumSetCollations map[int]uint64
	enums, sets       map[int][]string
	geometry          map[int]uint64
}

func newTableMeta(tm *replication.TableMapEvent) *tableMeta {
	return &tableMeta{
		tm:                tm,
		full:              HasNames(tm),
		unsigned:          tm.UnsignedMap(),
		collations:        tm.CollationMap(),
		enumSetCollations: tm.EnumSetCollationMap(),
		enums:             tm.EnumStrValueMap(),
		sets:              tm.SetStrValueMap(),
		geometry:          tm.GeometryTypeMap(),
	}
}

// charset returns the character set of text column i: from the table map's
// collation, else from the fallback column.
func (m *tableMeta) charset(i int, fb *change.Column) (string, error) {
	if id, ok := m.collations[i]; ok {
		if cs, ok := charsetOf(id); ok {
			return cs, nil
		}
		if fb != nil && fb.Charset != "" {
			return normalizeCharset(fb.Charset), nil
		}
		return "", fmt.Errorf("unknown collation id %d", id)
	}
	if fb != nil {
		switch {
		case fb.Kind == change.KindBytes:
			return binaryCharset, nil
		case fb.Charset != "":
			return normalizeCharset(fb.Charset), nil
		case fb.Kind == change.KindJSON:
			return "utf8mb4", nil
		}
	}
	return "", errors.New("character set unknown: the table map has no charset metadata and the schema names none")
}

// members returns the member names of ENUM or SET column i in UTF-8: from
// the table map, else parsed from the fallback column's type.
func (m *tableMeta) members(i int, kind string, fb *change.Column) ([]string, error) {
	names := m.enums[i]
	if kind == "set" {
		names = m.sets[i]
	}
	if names != nil {
		return m.membersToUTF8(i, names)
	}
	if fb != nil {
		members, ok, err := parseMembers(kind, fb.Type)
		if err != nil {
			return nil, err
		}
		if ok {
			return members, nil
		}
	}
	return nil, fmt.Errorf("%s member names unknown: the table map has none and the schema type is not %s(...)", kind, kind)
}

// membersToUTF8 converts member names that the table map holds in the
// column's character set.
func (m *tableMeta) membersToUTF8(i int, names []string) ([]string, error) {
	id, ok := m.enumSetCollations[i]
	if !ok {
		return names, nil
	}
	cs, ok := charsetOf(id)
	if !ok {
		return nil, fmt.Errorf("unknown collation id %d", id)
	}
	info, err := lookupCharset(cs)
	if err != nil {
		return nil, err
	}
	if info.decode == nil {
		return names, nil
	}
	out := make([]string, len(names))
	for j, n := range names {
		if out[j], err = stringToUTF8(info.decode, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// primaryKey returns the table map's primary key column indexes, nil when
// there is none.
func (m *tableMeta) primaryKey() ([]int, error) {
	var pk []int
	for _, c := range m.tm.PrimaryKey {
		if c >= m.tm.ColumnCount {
			return nil, fmt.Errorf("primary key column %d out of range", c)
		}
		pk = append(pk, int(c))
	}
	return pk, nil
}
