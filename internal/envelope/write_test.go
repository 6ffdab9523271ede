package envelope

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Write streams big values but must produce exactly Append's bytes.
func TestWriteMatchesAppend(t *testing.T) {
	table := &change.Table{Schema: "s", Name: "t", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Kind: change.KindInt}, {Name: "blob", Kind: change.KindBytes},
		{Name: "text", Kind: change.KindString}, {Name: "doc", Kind: change.KindJSON},
	}}
	big := make([]byte, 3*chunk+7)
	for i := range big {
		big[i] = byte(i * 7)
	}
	// Multi-byte characters across chunk boundaries, escapes and invalid UTF-8.
	text := strings.Repeat("é\"😀\n", chunk/3) + "\xff" + strings.Repeat("z", bigValue)
	doc := change.JSON(`{"k":"` + strings.Repeat("v", 2*bigValue) + `"}`)
	for _, op := range []change.Op{change.Insert, change.Update, change.Delete} {
		rc := change.RowChange{Table: table, Op: op}
		img := change.Row{int64(1), big, text, doc}
		small := change.Row{int64(1), []byte("x"), "y", change.JSON("{}")}
		switch op {
		case change.Insert:
			rc.After = img
		case change.Update:
			rc.Before, rc.After, rc.Changed = small, img, []int{1, 2, 3}
		case change.Delete:
			rc.Before = img
		}
		txn := &change.Txn{Source: "a", Changes: []change.RowChange{rc}}
		want := append(Append(nil, txn, 0, 3), '\n')
		var got bytes.Buffer
		buf, err := Write(&got, nil, txn, 0, 3)
		require.NoError(t, err)
		require.Equal(t, string(want), got.String(), op.String())
		require.Less(t, cap(buf), 2*bigValue, "the scratch buffer must not hold the big values")
	}
}
