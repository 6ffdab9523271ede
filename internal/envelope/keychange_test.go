package envelope

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestAppendKeyChangeHalves(t *testing.T) {
	txn := goldenTxns()[0]
	lines := bytes.Split(appendHalves(nil, txn, 1, 7), []byte{'\n'})
	require.Len(t, lines, 2)
	del, err := Decode(lines[0])
	require.NoError(t, err)
	ins, err := Decode(lines[1])
	require.NoError(t, err)

	require.Equal(t, "delete", del.Op)
	require.Equal(t, "delete-old", del.KeyChange)
	require.Equal(t, Image{"id": json.Number("42")}, del.Key, "the old key")
	require.NotNil(t, del.Before)
	require.Nil(t, del.After)
	require.Nil(t, del.Changed)

	require.Equal(t, "insert", ins.Op)
	require.Equal(t, "insert-new", ins.KeyChange)
	require.Equal(t, Image{"id": json.Number("43")}, ins.Key, "the new key")
	require.Nil(t, ins.Before)
	require.NotNil(t, ins.After)

	for _, e := range []Envelope{del, ins} {
		require.Equal(t, 7, e.Row, "both halves carry the update's row index")
		require.Equal(t, "0-1-55", e.GTID)
	}
	whole, err := Decode(Append(nil, txn, 1, 7))
	require.NoError(t, err)
	require.Equal(t, whole.Before, del.Before)
	require.Equal(t, whole.After, ins.After)
	require.Empty(t, whole.KeyChange)
	require.NotContains(t, string(Append(nil, txn, 1, 7)), "key_change")
	require.Equal(t, Append(nil, txn, 1, 7), AppendKeyChange(nil, txn, 1, 7, WholeChange))
}

func TestKeyChangeHalfSharesImages(t *testing.T) {
	c := goldenTxns()[0].Changes[1]
	del, ins := DeleteOld.Half(&c), InsertNew.Half(&c)
	require.Equal(t, change.RowChange{Table: c.Table, Op: change.Delete, Before: c.Before}, del)
	require.Equal(t, change.RowChange{Table: c.Table, Op: change.Insert, After: c.After}, ins)
	require.NoError(t, Check(&del))
	require.NoError(t, Check(&ins))
}

func TestDecodeKeyChange(t *testing.T) {
	tests := []struct {
		name, line, err string
	}{
		{"delete-old on a delete", `{"op":"delete","key_change":"delete-old"}`, ""},
		{"insert-new on an insert", `{"op":"insert","key_change":"insert-new"}`, ""},
		{"on an update", `{"op":"update","key_change":"delete-old"}`,
			`decoding envelope: key_change "delete-old" on op "update"`},
		{"the wrong half", `{"op":"insert","key_change":"delete-old"}`,
			`decoding envelope: key_change "delete-old" on op "insert"`},
		{"unknown", `{"op":"delete","key_change":"move"}`, `decoding envelope: key_change "move" on op "delete"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.line))
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.err)
		})
	}
}
