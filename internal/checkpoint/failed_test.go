package checkpoint

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestFailedChangesRoundTrip(t *testing.T) {
	s, dir := openTemp(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	cases := []struct {
		name string
		fc   change.FailedChange
	}{
		{"upsert with every value type", change.FailedChange{
			Source: "a", GTID: "0-1-42", Target: "app.users", Op: "upsert", Error: "Error 1406",
			Summary:  "error 1406 (22001): message withheld",
			Position: change.Position{Flavor: change.MariaDB, GTIDSet: "0-1-42", File: "mysql-bin.000003", Pos: 99},
			Key:      []change.Value{uint64(18446744073709551615)},
			Columns:  []string{"id", "i", "f", "d", "s", "b", "dec", "t", "j", "n", "empty", "eb"},
			Values: []change.Value{uint64(18446744073709551615), int64(-9223372036854775808), float32(0.1), 1e300,
				"héllo", []byte{0, 1, 255}, change.Decimal("-12.3400"), change.Temporal("0000-00-00 00:00:00.000000"),
				change.JSON(`{"a":[1,2]}`), nil, "", []byte{}},
			At: at,
		}},
		{"delete", change.FailedChange{
			Source: "b", Target: "app.orders", Op: "delete", Error: "Error 1452",
			Key: []change.Value{int64(7), "x"}, At: at,
		}},
		{"conflict with the other row's key", change.FailedChange{
			Source: "a", Target: "app.users", Op: "conflict", Error: "unique key conflict",
			Key: []change.Value{int64(1000000001)}, Columns: []string{"id", "email"},
			Values: []change.Value{int64(1000000001), "A@X"}, ConflictKey: []change.Value{int64(1)}, At: at,
		}},
	}
	for i, c := range cases {
		id, err := s.RecordFailed(c.fc)
		require.NoError(t, err, c.name)
		require.Equal(t, uint64(i+1), id, c.name)
		got, err := s.FailedChange(id)
		require.NoError(t, err, c.name)
		want := c.fc
		want.ID = id
		require.Equal(t, want, got, c.name)
	}
	_, err := s.FailedChange(99)
	require.ErrorIs(t, err, ErrNotFound)

	// Ids keep counting after a reopen, and the list is in id order.
	require.NoError(t, s.Close())
	s2 := openAt(t, dir)
	id, err := s2.RecordFailed(change.FailedChange{Source: "c", Target: "t.t", Op: "delete", Key: []change.Value{int64(1)}})
	require.NoError(t, err)
	require.Equal(t, uint64(4), id)
	all, err := s2.FailedChanges()
	require.NoError(t, err)
	require.Len(t, all, 4)
	for i, fc := range all {
		require.Equal(t, uint64(i+1), fc.ID)
	}
	require.False(t, all[2].At.IsZero(), "At defaults to now")
}

func TestRecordFailedConcurrentIDsAreUnique(t *testing.T) {
	s, _ := openTemp(t)
	var wg sync.WaitGroup
	ids := make(chan uint64, 40)
	for range 40 {
		wg.Go(func() {
			id, err := s.RecordFailed(change.FailedChange{Source: "a", Target: "t.t", Op: "delete", Key: []change.Value{int64(1)}})
			if err == nil {
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[uint64]bool{}
	for id := range ids {
		require.False(t, seen[id])
		seen[id] = true
	}
	require.Len(t, seen, 40)
}

func TestRecordFailedErrors(t *testing.T) {
	s, _ := openTemp(t)
	_, err := s.RecordFailed(change.FailedChange{Key: []change.Value{struct{}{}}})
	require.ErrorContains(t, err, "unsupported type")
	require.NoError(t, s.Close())
	_, err = s.RecordFailed(change.FailedChange{})
	require.True(t, errors.Is(err, ErrClosed))
	_, err = s.FailedChanges()
	require.ErrorIs(t, err, ErrClosed)
}
