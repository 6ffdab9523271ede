package kinesis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/envelope"
)

// wide has a key and three columns that can be large.
var wide = &change.Table{Schema: "s", Name: "wide",
	Columns: []change.Column{{Name: "id", Kind: change.KindString}, {Name: "a", Kind: change.KindString},
		{Name: "b", Kind: change.KindBytes}, {Name: "c", Kind: change.KindString}},
	PrimaryKey: []int{0}}

func wideTxn(op change.Op, id string, a, b, c int) *change.Txn {
	img := change.Row{id, strings.Repeat("a", a), []byte(strings.Repeat("b", b)), strings.Repeat("c", c)}
	rc := change.RowChange{Table: wide, Op: op, After: img}
	if op == change.Update {
		rc.Before, rc.Changed = img, []int{1}
	}
	return &change.Txn{Source: "src", Changes: []change.RowChange{rc}}
}

func shrinkTest(t *testing.T, format string, txn *change.Txn, drop []string) (envelope.Envelope, bool) {
	t.Helper()
	e := newEncoder(format)
	r := compileRoutes(&Options{Stream: "s", PartitionKey: PartitionKeyPrimaryKey, Oversize: OversizeDropColumns, DropColumns: drop})[0]
	full := e.appendRecord(nil, txn, 0, 0, dms.Context{}, r, envelope.WholeChange)
	out, ok := e.shrink(nil, txn, 0, 0, dms.Context{}, r, envelope.WholeChange, 10, len(full))
	if !ok {
		return envelope.Envelope{}, false
	}
	require.LessOrEqual(t, len(out)+10, MaxRecordBytes)
	require.True(t, json.Valid(out))
	if format == FormatDMS {
		return envelope.Envelope{}, true
	}
	env, err := envelope.Decode(out)
	require.NoError(t, err)
	return env, true
}

func marker(n int) map[string]any {
	return map[string]any{"tributary_dropped": true, "bytes": json.Number(itoa(int64(n)))}
}

func TestShrinkDropsLargestFirst(t *testing.T) {
	// b (700 KiB, 933 KiB in base64) goes first; then the record fits.
	env, ok := shrinkTest(t, FormatNative, wideTxn(change.Insert, "k", 600<<10, 700<<10, 10), nil)
	require.True(t, ok)
	require.Equal(t, marker(700<<10), env.After["b"])
	require.Len(t, env.After["a"], 600<<10)
	require.Equal(t, "cccccccccc", env.After["c"])

	// An update carries both images: b goes from both (1.4 MiB to 600
	// KiB), a stays.
	env, ok = shrinkTest(t, FormatNative, wideTxn(change.Update, "k", 300<<10, 300<<10, 10), nil)
	require.True(t, ok)
	for _, img := range []envelope.Image{env.Before, env.After} {
		require.Equal(t, marker(300<<10), img["b"])
		require.Len(t, img["a"], 300<<10)
		require.Equal(t, "cccccccccc", img["c"])
	}

	// Both images of a and b: 2 × (600 KiB + 800 KiB); without b 1.2 MiB,
	// so a goes too.
	env, ok = shrinkTest(t, FormatNative, wideTxn(change.Update, "k", 600<<10, 600<<10, 10), nil)
	require.True(t, ok)
	for _, img := range []envelope.Image{env.Before, env.After} {
		require.Equal(t, marker(600<<10), img["b"])
		require.Equal(t, marker(600<<10), img["a"])
	}
}

func TestShrinkListedColumns(t *testing.T) {
	env, ok := shrinkTest(t, FormatNative, wideTxn(change.Insert, "k", 10, 2<<20, 20), []string{"b", "c", "id", "nope"})
	require.True(t, ok)
	require.Equal(t, marker(2<<20), env.After["b"])
	require.Equal(t, marker(20), env.After["c"])
	require.Equal(t, "k", env.After["id"], "key columns stay")
	require.Equal(t, envelope.Image{"id": "k"}, env.Key)

	_, ok = shrinkTest(t, FormatNative, wideTxn(change.Insert, "k", 2<<20, 10, 10), []string{"b"})
	require.False(t, ok, "dropping b is not enough")
	_, ok = shrinkTest(t, FormatNative, wideTxn(change.Insert, strings.Repeat("k", 2<<20), 10, 10, 10), nil)
	require.False(t, ok, "the key alone is too big")
	_, ok = shrinkTest(t, FormatDMS, wideTxn(change.Update, "k", 10, 2<<20, 20), []string{"b"})
	require.True(t, ok)
}

func TestReplaceTokensLeavesOtherText(t *testing.T) {
	e := newEncoder(FormatNative)
	in := []byte(`{"a":"` + e.token + `12","b":"tributary-dropped-x-1","c":"` + e.token + `0"}`)
	require.Equal(t, `{"a":{"tributary_dropped":true,"bytes":12},"b":"tributary-dropped-x-1","c":{"tributary_dropped":true,"bytes":0}}`,
		string(e.replaceTokens(in)))
}
