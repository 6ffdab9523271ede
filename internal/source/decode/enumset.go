package decode

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// enumName returns the member an ENUM index stands for: members[index-1],
// or "" for index 0, which the server stores for an invalid value.
func enumName(members []string, v any) (string, error) {
	index, ok := v.(int64)
	if !ok {
		return "", fmt.Errorf("unexpected %T for an enum column", v)
	}
	if index == 0 {
		return "", nil
	}
	if index < 0 || index > int64(len(members)) {
		return "", fmt.Errorf("enum index out of range for %d members", len(members))
	}
	return members[index-1], nil
}

// setNames returns the members a SET bitmask holds, joined by "," in
// definition order.
func setNames(members []string, v any) (string, error) {
	m, ok := v.(int64)
	if !ok {
		return "", fmt.Errorf("unexpected %T for a set column", v)
	}
	mask := uint64(m)
	if len(members) < 64 && mask>>len(members) != 0 {
		return "", fmt.Errorf("set bitmask has bits beyond its %d members", len(members))
	}
	names := make([]string, 0, bits.OnesCount64(mask))
	for i := range members {
		if mask&(1<<i) != 0 {
			names = append(names, members[i])
		}
	}
	return strings.Join(names, ","), nil
}

// parseMembers reads the member names from an ENUM or SET column type as
// information_schema.COLUMNS.COLUMN_TYPE shows it, for example
//
//	enum('a','it''s','x\\y')
//
// kind is "enum" or "set"; ok is false when typ is not of that kind.
func parseMembers(kind, typ string) (members []string, ok bool, err error) {
	if len(typ) < len(kind)+2 || !strings.EqualFold(typ[:len(kind)], kind) || typ[len(kind)] != '(' {
		return nil, false, nil
	}
	rest := typ[len(kind)+1:]
	members = []string{}
	for {
		if rest == "" || rest[0] != '\'' {
			return nil, true, fmt.Errorf("parsing %s members: expected a quoted name", kind)
		}
		name, n, err := unquote(rest)
		if err != nil {
			return nil, true, fmt.Errorf("parsing %s members: %w", kind, err)
		}
		members = append(members, name)
		rest = rest[n:]
		switch {
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		case strings.HasPrefix(rest, ")"):
			return members, true, nil
		default:
			return nil, true, fmt.Errorf("parsing %s members: expected ',' or ')'", kind)
		}
	}
}

var errUnterminated = errors.New("unterminated quoted name")

// unquote reads one single-quoted SQL string at the start of s and returns
// it with the bytes consumed. It undoes doubled quotes and the backslash
// escapes the server writes (\\, \', \0, \n, \r, \t, \Z).
func unquote(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, errUnterminated
			}
			i++
			b.WriteByte(unescape(s[i]))
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errUnterminated
}

func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 0x1a
	}
	return c
}

// membersType renders an ENUM or SET type with its members, quoted as
// information_schema quotes them (see parseMembers).
func membersType(kind string, members []string) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte('(')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		for j := 0; j < len(m); j++ {
			switch c := m[j]; c {
			case '\'':
				b.WriteString("''")
			case '\\':
				b.WriteString(`\\`)
			case 0:
				b.WriteString(`\0`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('\'')
	}
	b.WriteByte(')')
	return b.String()
}
