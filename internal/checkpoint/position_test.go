package checkpoint

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestPositionRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pos  change.Position
	}{
		{"zero", change.Position{}},
		{"file and pos", change.Position{Flavor: change.MySQL, File: "mysql-bin.000042", Pos: 4294967295, ServerID: 7}},
		{"mariadb gtid", change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-100,1-2-7", File: "mysql-bin.000003", Pos: 385, ServerID: 1}},
		{"mysql gtid", change.Position{Flavor: change.MySQL, GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77", ServerUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562"}},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, s.SavePositions(map[string]change.Position{tt.name: tt.pos}))
			got, err := s.Position(tt.name)
			require.NoError(t, err)
			require.Equal(t, tt.pos, got)
		})
	}
	all, err := s.Positions()
	require.NoError(t, err)
	require.Len(t, all, len(tests))
	for _, tt := range tests {
		require.Equal(t, tt.pos, all[tt.name])
	}
}

func TestPositionNotFound(t *testing.T) {
	s, _ := openTemp(t)
	_, err := s.Position("nope")
	require.ErrorIs(t, err, ErrNotFound)

	all, err := s.Positions()
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestSavePositionsOverwrites(t *testing.T) {
	s, _ := openTemp(t)
	require.NoError(t, s.SavePositions(map[string]change.Position{"a": {File: "f.1", Pos: 1}, "b": {File: "f.1", Pos: 2}}))
	require.NoError(t, s.SavePositions(map[string]change.Position{"a": {File: "f.2", Pos: 3}}))

	all, err := s.Positions()
	require.NoError(t, err)
	require.Equal(t, map[string]change.Position{"a": {File: "f.2", Pos: 3}, "b": {File: "f.1", Pos: 2}}, all)
}

func TestSavePositionsIsOneSyncedCommit(t *testing.T) {
	tests := []struct {
		sources   int
		wantSyncs uint64
	}{
		{sources: 0, wantSyncs: 0},
		{sources: 1, wantSyncs: 1},
		{sources: 3, wantSyncs: 1},
		{sources: 500, wantSyncs: 1},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d sources", tt.sources), func(t *testing.T) {
			p := make(map[string]change.Position, tt.sources)
			for i := range tt.sources {
				p[fmt.Sprintf("src-%d", i)] = change.Position{File: "mysql-bin.000001", Pos: uint32(i)}
			}
			before := s.Syncs()
			require.NoError(t, s.SavePositions(p))
			require.Equal(t, tt.wantSyncs, s.Syncs()-before)
		})
	}
}

func TestSavePositionsRejectsBadNamesAtomically(t *testing.T) {
	tests := []struct {
		name   string
		source string
	}{
		{"empty", ""},
		{"NUL", "a\x00b"},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SavePositions(map[string]change.Position{"good": {File: "f.1"}, tt.source: {File: "f.2"}})
			require.Error(t, err)
			_, err = s.Position("good")
			require.ErrorIs(t, err, ErrNotFound, "nothing of a rejected batch is written")
			_, err = s.Position(tt.source)
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrNotFound)
		})
	}
	require.Zero(t, s.Syncs())
}

func TestDeletePosition(t *testing.T) {
	s, _ := openTemp(t)
	require.NoError(t, s.SavePositions(map[string]change.Position{"a": {File: "f.1"}, "b": {File: "f.2"}}))

	before := s.Syncs()
	require.NoError(t, s.DeletePosition("a"))
	require.Equal(t, before+1, s.Syncs(), "deletion is synced")
	require.NoError(t, s.DeletePosition("never-saved"))

	_, err := s.Position("a")
	require.ErrorIs(t, err, ErrNotFound)
	all, err := s.Positions()
	require.NoError(t, err)
	require.Equal(t, map[string]change.Position{"b": {File: "f.2"}}, all)
}
