package envelope

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func FuzzAppendStringAndBytes(f *testing.F) {
	f.Add("", []byte(nil))
	f.Add("Ann \"A\" \\ \n\t\x01 é 日本 😀 \u2028\u2029", []byte{0, 0xff})
	f.Add("a\xffb\xe6\x97", []byte("\xed\xa0\x80"))
	table := &change.Table{
		Schema: "s", Name: "t",
		Columns: []change.Column{
			{Name: "s", Kind: change.KindString},
			{Name: "b", Kind: change.KindBytes},
		},
	}
	f.Fuzz(func(t *testing.T, s string, b []byte) {
		txn := &change.Txn{
			Source: s, GTID: string(b),
			Changes: []change.RowChange{{Table: table, Op: change.Insert, After: change.Row{s, b}}},
		}
		line := Append(nil, txn, 0, 0)
		require.True(t, json.Valid(line), "%q", line)
		e, err := Decode(line)
		require.NoError(t, err)
		// Invalid UTF-8 turns into U+FFFD byte by byte, as a []rune
		// conversion does; valid text comes back unchanged.
		want := s
		if !utf8.ValidString(s) {
			want = string([]rune(s))
		}
		require.Equal(t, want, e.Source)
		require.Equal(t, want, e.After["s"])
		got, err := base64.StdEncoding.DecodeString(e.After["b"].(string))
		require.NoError(t, err)
		require.Equal(t, len(b), len(got))
		if len(b) > 0 {
			require.Equal(t, b, got)
		}
	})
}
