// Package exprerr owns the describing of expression runtime errors
// (expr-lang, in the mappings and the partition keys) without the row
// values their messages may quote, for logs and the errors the service
// stops with.
package exprerr

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// position is expr-lang's " (line:column)" after a message.
	position = regexp.MustCompile(` \(\d+:\d+\)$`)
	// quoted is text in double, single or back quotes: Go's errors quote
	// the values they could not parse ("parsing time \"x\"", "invalid
	// character 'x'").
	quoted = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|`[^`]*`")
)

// Class returns the class of a runtime error err of an expression that
// ran on env: its message's first line up to its first colon, with every
// quoted text and every value of env written out in it replaced by
// placeholders. Expression functions write the values they fail on into
// their messages, quoted ("parsing time \"x\" as ...") or not ("invalid
// date x", "unknown time zone x"), before the colon or after it.
func Class(err error, env map[string]any) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	line = position.ReplaceAllString(line, "")
	line = quoted.ReplaceAllString(line, `"…"`)
	for name, v := range env {
		if s, ok := text(v); ok {
			line = replaceWord(line, s, "‹"+name+"›")
		}
	}
	class, _, _ := strings.Cut(line, ":")
	return class
}

// text is v written out as an error message would, when v is a value of
// a row rather than a structure.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case nil, map[string]any:
		return "", false
	case []byte:
		return string(v), len(v) > 0
	default:
		s := fmt.Sprint(v)
		return s, s != ""
	}
}

// replaceWord replaces the occurrences of s in line that are not part of
// a longer word.
func replaceWord(line, s, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(line, s)
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		end := i + len(s)
		if (i > 0 && wordByte(line[i-1]) && wordByte(s[0])) || (end < len(line) && wordByte(line[end]) && wordByte(s[len(s)-1])) {
			b.WriteString(line[:i+1])
			line = line[i+1:]
			continue
		}
		b.WriteString(line[:i])
		b.WriteString(with)
		line = line[end:]
	}
}

func wordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
