package source

import "strings"

type tokenKind uint8

const (
	tokWord   tokenKind = iota + 1 // unquoted identifier or keyword
	tokQuoted                      // `quoted identifier`
	tokString                      // 'string' or "string"
	tokPunct                       // any other single character
)

type token struct {
	kind tokenKind
	text string
}

func (t token) isWord(w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }
func (t token) is(s string) bool     { return t.kind == tokPunct && t.text == s }

// tokenize splits a statement into tokens, dropping comments. The contents
// of executable comments (/*! ... */, /*M! ... */) are kept as code.
func tokenize(q string) []token {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!"):
			i += strings.Index(q[i:], "!") + 1
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += end + 4
		case strings.HasPrefix(q[i:], "*/"):
			i += 2 // the end of an executable comment
		case c == '#' || strings.HasPrefix(q[i:], "-- ") || strings.HasPrefix(q[i:], "--\t") || q[i:] == "--":
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return toks
			}
			i += end + 1
		case c == '`' || c == '\'' || c == '"':
			text, n := quoted(q[i:], c)
			kind := tokString
			if c == '`' {
				kind = tokQuoted
			}
			toks = append(toks, token{kind, text})
			i += n
		case isIdentByte(c):
			j := i
			for j < len(q) && isIdentByte(q[j]) {
				j++
			}
			toks = append(toks, token{tokWord, q[i:j]})
			i = j
		default:
			toks = append(toks, token{tokPunct, q[i : i+1]})
			i++
		}
	}
	return toks
}

// quoted reads a quoted token starting at s[0] == quote, where a doubled
// quote stands for one (and a backslash escapes in strings). It returns
// the unquoted text and the bytes consumed.
func quoted(s string, quote byte) (string, int) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quote != '`' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case s[i] == quote && i+1 < len(s) && s[i+1] == quote:
			b.WriteByte(quote)
			i++
		case s[i] == quote:
			return b.String(), i + 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), len(s)
}

// isIdentByte reports whether c may appear in an unquoted identifier;
// bytes of multi-byte UTF-8 characters may.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
