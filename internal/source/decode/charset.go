package decode

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// binaryCharset is the character set of BINARY, VARBINARY and BLOB columns.
const binaryCharset = "binary"

// textDecoder converts text in one character set to UTF-8; nil means the
// text is UTF-8 already.
type textDecoder func([]byte) (string, error)

// charsetInfo says how to turn a character set's bytes into UTF-8.
type charsetInfo struct {
	decode textDecoder
	// maxLen is the longest character in bytes.
	maxLen int
}

// with returns a textDecoder for an x/text encoding. Bytes with no mapping
// become U+FFFD.
func with(enc encoding.Encoding) textDecoder {
	return func(b []byte) (string, error) {
		out, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return "", fmt.Errorf("converting text to UTF-8: %w", err)
		}
		return string(out), nil
	}
}

// multiByteCharsets lists the character sets whose text is converted by
// x/text; ucs2 and utf16 are big-endian.
var multiByteCharsets = map[string]charsetInfo{
	"utf8mb4": {nil, 4},
	"utf8mb3": {nil, 3},
	"binary":  {nil, 1},
	"big5":    {with(traditionalchinese.Big5), 2},
	"gb2312":  {with(simplifiedchinese.GBK), 2},
	"gbk":     {with(simplifiedchinese.GBK), 2},
	"gb18030": {with(simplifiedchinese.GB18030), 4},
	"sjis":    {with(japanese.ShiftJIS), 2},
	"cp932":   {with(japanese.ShiftJIS), 2},
	"ujis":    {with(japanese.EUCJP), 3},
	"eucjpms": {with(japanese.EUCJP), 3},
	"euckr":   {with(korean.EUCKR), 2},
	"ucs2":    {with(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)), 2},
	"utf16":   {with(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)), 4},
	"utf16le": {with(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)), 4},
	"utf32":   {with(utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)), 4},
}

// singleByte returns a textDecoder for a single-byte character set.
func singleByte(m *[256]rune) textDecoder {
	return func(b []byte) (string, error) {
		var sb strings.Builder
		sb.Grow(len(b) + len(b)/2)
		for _, c := range b {
			sb.WriteRune(m[c])
		}
		return sb.String(), nil
	}
}

// normalizeCharset maps the old name of utf8mb3 to the current one.
func normalizeCharset(name string) string {
	if name == "utf8" {
		return "utf8mb3"
	}
	return name
}

// lookupCharset returns how to decode the named character set.
func lookupCharset(name string) (charsetInfo, error) {
	name = normalizeCharset(name)
	if info, ok := multiByteCharsets[name]; ok {
		return info, nil
	}
	if m, ok := singleByteCharmaps[name]; ok {
		return charsetInfo{singleByte(m), 1}, nil
	}
	return charsetInfo{}, fmt.Errorf("character set %q has no UTF-8 decoder", name)
}

// toUTF8 converts text to UTF-8 with decode; a nil decode means it is
// UTF-8 already.
func toUTF8(decode textDecoder, b []byte) (string, error) {
	if decode == nil {
		return string(b), nil
	}
	return decode(b)
}

// stringToUTF8 is toUTF8 for text that go-mysql hands over as a string.
func stringToUTF8(decode textDecoder, s string) (string, error) {
	if decode == nil {
		return s, nil
	}
	return decode([]byte(s))
}
