package decode

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestCharsetOf(t *testing.T) {
	tests := []struct {
		id   uint64
		want string
		ok   bool
	}{
		{id: 8, want: "latin1", ok: true},
		{id: 5, want: "latin1", ok: true},
		{id: 33, want: "utf8mb3", ok: true},
		{id: 45, want: "utf8mb4", ok: true},
		{id: 46, want: "utf8mb4", ok: true},
		{id: 63, want: "binary", ok: true},
		{id: 35, want: "ucs2", ok: true},
		{id: 76, want: "utf8mb3", ok: true},
		{id: 248, want: "gb18030", ok: true},
		{id: 255, want: "utf8mb4", ok: true},
		{id: 309, want: "utf8mb4", ok: true},
		{id: 323, want: "utf8mb4", ok: true},
		{id: 576, want: "utf8mb3", ok: true},
		{id: 1032, want: "latin1", ok: true},
		{id: 1070, want: "utf8mb4", ok: true},
		{id: 2048, want: "utf8mb3", ok: true},
		{id: 2304, want: "utf8mb4", ok: true},
		{id: 2560, want: "ucs2", ok: true},
		{id: 2816, want: "utf16", ok: true},
		{id: 3072, want: "utf32", ok: true},
		{id: 0},
		{id: 17},
		{id: 324},
		{id: 1024},
		{id: 3328},
	}
	for _, tt := range tests {
		got, ok := charsetOf(tt.id)
		require.Equal(t, tt.ok, ok, "id %d", tt.id)
		require.Equal(t, tt.want, got, "id %d", tt.id)
	}
}

func TestToUTF8(t *testing.T) {
	tests := []struct {
		charset string
		in      []byte
		want    string
	}{
		{charset: "utf8mb4", in: []byte("😀 ü"), want: "😀 ü"},
		{charset: "utf8", in: []byte("ü"), want: "ü"},
		{charset: "latin1", in: []byte("caf\xe9 \x80"), want: "café €"},
		{charset: "latin1", in: []byte{0x81, 0x8d, 0x8f, 0x90, 0x9d}, want: "\u0081\u008d\u008f\u0090\u009d"},
		{charset: "latin1", in: []byte{}, want: ""},
		{charset: "cp1251", in: []byte{0xcf, 0xf0, 0xe8}, want: "При"},
		{charset: "latin2", in: []byte{0xa1}, want: "Ą"},
		{charset: "ascii", in: []byte("plain\x80"), want: "plain\ufffd"},
		{charset: "ucs2", in: []byte{0x03, 0xa9, 0x00, 0xe9}, want: "Ωé"},
		{charset: "utf16", in: []byte{0xd8, 0x3d, 0xde, 0x00}, want: "😀"},
		{charset: "utf16le", in: []byte{0x3d, 0xd8, 0x00, 0xde}, want: "😀"},
		{charset: "utf32", in: []byte{0, 1, 0xf6, 0}, want: "😀"},
		{charset: "sjis", in: []byte{0x93, 0xfa}, want: "日"},
		{charset: "gbk", in: []byte{0xd6, 0xd0}, want: "中"},
		{charset: "gb18030", in: []byte{0x90, 0x30, 0x81, 0x30}, want: "\U00010000"},
		{charset: "big5", in: []byte{0xa4, 0xa4}, want: "中"},
		{charset: "euckr", in: []byte{0xc7, 0xd1}, want: "한"},
		{charset: "ujis", in: []byte{0xc6, 0xfc}, want: "日"},
	}
	for _, tt := range tests {
		info, err := lookupCharset(tt.charset)
		require.NoError(t, err, tt.charset)
		got, err := toUTF8(info.decode, tt.in)
		require.NoError(t, err, tt.charset)
		require.Equal(t, tt.want, got, tt.charset)
		got, err = stringToUTF8(info.decode, string(tt.in))
		require.NoError(t, err, tt.charset)
		require.Equal(t, tt.want, got, tt.charset)
	}
}

func TestLookupCharsetUnknown(t *testing.T) {
	_, err := lookupCharset("klingon")
	require.ErrorContains(t, err, `"klingon"`)
}

func TestEveryCollationHasADecoder(t *testing.T) {
	for _, r := range collationRanges {
		_, err := lookupCharset(r.Charset)
		require.NoError(t, err, "collations %d-%d", r.First, r.Last)
	}
	for _, cs := range mariaUCA1400Charsets {
		_, err := lookupCharset(cs)
		require.NoError(t, err)
	}
}

func FuzzTextDecoders(f *testing.F) {
	f.Add([]byte("caf\xe9"))
	f.Add([]byte{0xd8, 0x3d})
	f.Add([]byte{0xff, 0xfe, 0x00})
	names := []string{"utf8mb4", "binary"}
	names = append(names, singleByteNames...)
	for cs := range multiByteCharsets {
		names = append(names, cs)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, cs := range names {
			info, err := lookupCharset(cs)
			require.NoError(t, err)
			got, err := toUTF8(info.decode, in)
			require.NoError(t, err, cs)
			if info.decode != nil {
				require.True(t, utf8.ValidString(got), cs)
			}
			if _, single := singleByteCharmaps[cs]; single {
				require.Equal(t, len(in), utf8.RuneCountInString(got), cs)
			}
		}
	})
}
