package dms

import (
	"time"
	"unicode/utf8"
)

// The JSON text helpers below are the envelope's, copied rather than shared
// because the envelope keeps them unexported; the consistency test in
// value_test.go holds the two encodings together.

const hexDigits = "0123456789abcdef"

// plain[b] is set for the ASCII bytes that stand for themselves inside a
// JSON string.
var plain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// appendString appends s as a quoted JSON string. Control characters, quote
// and backslash are escaped, and so are U+2028 and U+2029 so the output is
// also valid JavaScript. Bytes that are not valid UTF-8 become U+FFFD: the
// output is valid JSON whatever s holds.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if plain[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendTime appends t as a quoted RFC 3339 UTC timestamp with exactly six
// fractional digits ("2026-11-21T08:15:02.381466Z"), DMS's metadata
// timestamp layout. Sub-microsecond parts are truncated.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		// Outside RFC 3339; keep the output a valid JSON string anyway.
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
		return append(dst, '"')
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, '"')
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z', '"')
}

// appendDigits appends the n low decimal digits of v (v >= 0), zero-padded.
func appendDigits(dst []byte, v, n int) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	for i := start + n - 1; i >= start; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}
