package dms

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func FuzzAppend(f *testing.F) {
	f.Add("", []byte(nil))
	f.Add("Ann \"A\" \\ \n\t\x01 é 日本 😀 \u2028\u2029", []byte{0, 0xff})
	f.Add("a\xffb\xe6\x97", []byte("\xed\xa0\x80"))
	f.Add("-12.3400", []byte("0-1-42"))
	table := &change.Table{
		Columns: []change.Column{
			{Name: "s", Kind: change.KindString},
			{Name: "b", Kind: change.KindBytes},
			{Name: "d", Kind: change.KindDecimal},
			{Name: "j", Kind: change.KindJSON},
		},
	}
	f.Fuzz(func(t *testing.T, s string, b []byte) {
		// s lands everywhere a string can: values, names and options.
		table := *table
		table.Schema, table.Name = s, s
		row := change.Row{s, b, change.Decimal(s), change.JSON(s)}
		opts := Options{BeforeImage: true, BeforeImageField: s, PartitionKeyType: s, TransactionDetails: true}
		for _, op := range []change.Op{change.Insert, change.Update, change.Delete} {
			c := change.RowChange{Table: &table, Op: op, After: row}
			if op != change.Insert {
				c.Before = row
			}
			if op == change.Delete {
				c.After = nil
			}
			txn := &change.Txn{GTID: string(b), Begin: change.Position{File: s}, Changes: []change.RowChange{c}}
			line := Append(nil, txn, 0, len(b), opts)
			require.True(t, json.Valid(line), "%q", line)

			var rec struct {
				Data     map[string]any
				Metadata map[string]any
			}
			require.NoError(t, json.Unmarshal(line, &rec))
			// Invalid UTF-8 turns into U+FFFD byte by byte, as a []rune
			// conversion does; valid text comes back unchanged.
			want := s
			if !utf8.ValidString(s) {
				want = string([]rune(s))
			}
			require.Equal(t, want, rec.Data["s"])
			require.Equal(t, want, rec.Data["j"])
			require.Equal(t, want, rec.Metadata["table-name"])
			got, err := base64.StdEncoding.DecodeString(rec.Data["b"].(string))
			require.NoError(t, err)
			require.Equal(t, len(b), len(got))
			if len(b) > 0 {
				require.Equal(t, b, got)
			}
		}
	})
}
