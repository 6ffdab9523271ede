package checkpoint

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestCursorRoundTrip(t *testing.T) {
	s, dir := openTemp(t)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	want := []Cursor{
		{Source: "a", Schema: "shop", Table: "orders", Key: []string{"id"}, Requested: at},
		{Source: "a", Schema: "shop", Table: "order_items", Key: []string{"order", "name"},
			After: []change.Value{uint64(18446744073709551615), "Straße"}, Where: "status = 'x'",
			Chunks: 12, Rows: 12000, Estimate: 30500, Requested: at},
		{Source: "b", Schema: "s", Table: "t", Key: []string{"k"}, After: []change.Value{[]byte{0, 1, 0}},
			Chunks: 1, Rows: 3, Done: true, Requested: at},
	}
	require.NoError(t, s.SaveCursors(want))
	got, err := s.Cursors()
	require.NoError(t, err)
	// Ordered by source, schema, table.
	require.Equal(t, []Cursor{want[1], want[0], want[2]}, got)

	// A cursor saved again replaces the table's, in the same commit as
	// the positions it goes with.
	next := want[0]
	next.After, next.Chunks, next.Rows = []change.Value{int64(5)}, 1, 1000
	before := s.Syncs()
	require.NoError(t, s.SaveCheckpoint(map[string]change.Position{"a": {File: "f.1", Pos: 9}}, []Cursor{next}))
	require.Equal(t, before+1, s.Syncs())
	got, err = s.Cursors()
	require.NoError(t, err)
	require.Equal(t, []Cursor{want[1], next, want[2]}, got)
	pos, err := s.Position("a")
	require.NoError(t, err)
	require.Equal(t, uint32(9), pos.Pos)

	// They survive a reopen.
	require.NoError(t, s.Close())
	s2, err := Open(dir, nil)
	require.NoError(t, err)
	defer s2.Close()
	got, err = s2.Cursors()
	require.NoError(t, err)
	require.Equal(t, []Cursor{want[1], next, want[2]}, got)
}

func TestSaveCheckpointRejectsBadCursorsAtomically(t *testing.T) {
	s, _ := openTemp(t)
	err := s.SaveCheckpoint(map[string]change.Position{"a": {File: "f.1"}},
		[]Cursor{{Source: "a", Schema: "s", Table: "t\x00"}})
	require.ErrorContains(t, err, "NUL")
	_, err = s.Position("a")
	require.ErrorIs(t, err, ErrNotFound)
	got, err := s.Cursors()
	require.NoError(t, err)
	require.Empty(t, got)
}

// A cursor of an earlier request never replaces the cursor of a later one.
func TestCursorOfAnEarlierRequestIsLeftOut(t *testing.T) {
	s, _ := openTemp(t)
	first := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	old := Cursor{Source: "a", Schema: "s", Table: "t", Key: []string{"id"}, After: []change.Value{int64(900)},
		Chunks: 9, Rows: 900, Requested: first}
	fresh := Cursor{Source: "a", Schema: "s", Table: "t", Key: []string{"id"}, Where: "id < 10", Requested: first.Add(time.Second)}
	require.NoError(t, s.SaveCursors([]Cursor{fresh}))
	require.NoError(t, s.SaveCheckpoint(map[string]change.Position{"a": {File: "f.1", Pos: 7}}, []Cursor{old}))
	got, err := s.Cursors()
	require.NoError(t, err)
	require.Equal(t, []Cursor{fresh}, got)
	pos, err := s.Position("a")
	require.NoError(t, err)
	require.Equal(t, uint32(7), pos.Pos, "the position is saved all the same")

	next := fresh
	next.After, next.Chunks, next.Rows = []change.Value{int64(9)}, 1, 9
	require.NoError(t, s.SaveCheckpoint(nil, []Cursor{next}))
	got, err = s.Cursors()
	require.NoError(t, err)
	require.Equal(t, []Cursor{next}, got, "the same request moves on")
}
