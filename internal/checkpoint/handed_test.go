package checkpoint

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestHandedMarksRoundTrip(t *testing.T) {
	s, dir := openTemp(t)
	marks, err := s.HandedMarks()
	require.NoError(t, err)
	require.Empty(t, marks)

	a := Handed{Begin: change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-41", File: "mysql-bin.000001", Pos: 900, ServerID: 1}, GTID: "0-1-42"}
	b := Handed{Begin: change.Position{Flavor: change.MySQL, File: "mysql-bin.000007", Pos: 4}, Before: true}
	syncs := s.Syncs()
	require.NoError(t, s.SaveHandedMarks(map[string]Handed{"a": a, "b": b}))
	require.Equal(t, syncs+1, s.Syncs(), "one synced commit for every source")
	a.GTID = "0-1-43"
	require.NoError(t, s.SaveHandedMarks(map[string]Handed{"a": a}))
	require.NoError(t, s.SaveHandedMarks(nil))

	// The marks live beside the positions, not among them.
	require.NoError(t, s.SavePositions(map[string]change.Position{"a": {File: "mysql-bin.000001", Pos: 4}}))
	pos, err := s.Positions()
	require.NoError(t, err)
	require.Len(t, pos, 1)

	require.NoError(t, s.Close())
	s = openAt(t, dir)
	marks, err = s.HandedMarks()
	require.NoError(t, err)
	require.Equal(t, map[string]Handed{"a": a, "b": b}, marks)
	require.Error(t, s.SaveHandedMarks(map[string]Handed{"": a}))
}
