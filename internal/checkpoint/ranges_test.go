package checkpoint

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestRangesRoundTrip(t *testing.T) {
	s, dir := openTemp(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	where := Range{Mapping: "global.users", Source: "jp", Where: "id BETWEEN 1 AND 9", Origin: RangeOperator, Reason: "column widened", Created: at}
	keys := Range{Mapping: "global.orders", Keys: [][]string{{"1", "a"}, {"2", "b,c"}}, Origin: RangeVerify}
	id1, err := s.AddRange(where)
	require.NoError(t, err)
	id2, err := s.AddRange(keys)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2}, []uint64{id1, id2})

	got, err := s.Range(1)
	require.NoError(t, err)
	where.ID = 1
	require.Equal(t, where, got)
	got, err = s.Range(2)
	require.NoError(t, err)
	require.False(t, got.Created.IsZero(), "Created defaults to now")
	require.Equal(t, keys.Keys, got.Keys)
	_, err = s.Range(3)
	require.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, s.ResolveRange(1, at.Add(time.Hour)))
	require.NoError(t, s.ResolveRange(1, at.Add(2*time.Hour)), "resolving again keeps the first time")
	got, err = s.Range(1)
	require.NoError(t, err)
	require.Equal(t, at.Add(time.Hour), got.Resolved)
	require.ErrorIs(t, s.ResolveRange(9, time.Time{}), ErrNotFound)

	cleared, err := s.ClearRanges(RangeSelection{Resolved: true})
	require.NoError(t, err)
	require.Len(t, cleared, 1)
	require.Equal(t, uint64(1), cleared[0].ID)

	// Ids are not reused after a clear, nor after a reopen.
	id3, err := s.AddRange(where)
	require.NoError(t, err)
	require.Equal(t, uint64(3), id3)
	require.NoError(t, s.Close())
	s2 := openAt(t, dir)
	id4, err := s2.AddRange(keys)
	require.NoError(t, err)
	require.Equal(t, uint64(4), id4)
	all, err := s2.Ranges()
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 3, 4}, rangeIDs(all))

	_, err = s2.ClearRanges(RangeSelection{IDs: []uint64{2, 7}})
	require.ErrorIs(t, err, ErrNotFound, "an unknown id clears nothing")
	all, err = s2.Ranges()
	require.NoError(t, err)
	require.Len(t, all, 3)
	cleared, err = s2.ClearRanges(RangeSelection{IDs: []uint64{3, 3}})
	require.NoError(t, err)
	require.Equal(t, []uint64{3}, rangeIDs(cleared))
	cleared, err = s2.ClearRanges(RangeSelection{All: true})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 4}, rangeIDs(cleared))
	cleared, err = s2.ClearRanges(RangeSelection{All: true})
	require.NoError(t, err)
	require.Empty(t, cleared)
}

func rangeIDs(rs []Range) []uint64 {
	out := []uint64{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestAddRangeRefusesBadRanges(t *testing.T) {
	s, _ := openTemp(t)
	for _, c := range []struct {
		r    Range
		want string
	}{
		{Range{Where: "id > 1", Origin: RangeOperator}, "needs a mapping"},
		{Range{Mapping: "a.b", Origin: RangeOperator}, "needs a where predicate or keys"},
		{Range{Mapping: "a.b", Where: "x", Keys: [][]string{{"1"}}, Origin: RangeOperator}, "not both"},
		{Range{Mapping: "a.b", Where: "x", Origin: "someone"}, `range origin "someone"`},
		{Range{Mapping: "a.b", Keys: [][]string{{"1"}, {"1", "2"}}, Origin: RangeFailed}, "key 2 has 2 values, key 1 has 1"},
	} {
		_, err := s.AddRange(c.r)
		require.ErrorContains(t, err, c.want)
	}
	all, err := s.Ranges()
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestFailedChangesEdit(t *testing.T) {
	s, _ := openTemp(t)
	for range 3 {
		_, err := s.RecordFailed(change.FailedChange{Source: "a", Target: "t.t", Op: "upsert", Key: []change.Value{int64(1)}, Error: "old"})
		require.NoError(t, err)
	}
	require.NoError(t, s.UpdateFailed(2, func(fc *change.FailedChange) { fc.Error, fc.Summary = "new", "summary" }))
	require.ErrorIs(t, s.UpdateFailed(9, func(*change.FailedChange) {}), ErrNotFound)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.MarkFailedSuperseded([]uint64{2, 3, 9}, at))
	require.NoError(t, s.MarkFailedSuperseded([]uint64{2}, at.Add(time.Hour)))
	fc, err := s.FailedChange(2)
	require.NoError(t, err)
	require.Equal(t, "new", fc.Error)
	require.Equal(t, "summary", fc.Summary)
	require.Equal(t, at, fc.Superseded, "the first time stays")
	require.Equal(t, []change.Value{int64(1)}, fc.Key)

	deleted, err := s.DeleteFailed([]uint64{3, 1, 9})
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 1}, deleted)
	all, err := s.FailedChanges()
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, uint64(2), all[0].ID)
	deleted, err = s.DeleteFailed([]uint64{3})
	require.NoError(t, err)
	require.Empty(t, deleted)
	id, err := s.RecordFailed(change.FailedChange{Source: "a", Target: "t.t", Op: "delete", Key: []change.Value{int64(1)}})
	require.NoError(t, err)
	require.Equal(t, uint64(4), id, "a deleted record's id is not given again")
}
