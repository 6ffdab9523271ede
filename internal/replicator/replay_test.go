package replicator

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// mariaTxn is transaction n of domain 0, server 1, beginning at offset
// 100n of mysql-bin.000001.
func mariaTxn(seq uint64, n int) mysqlsink.SourceTxn {
	return mysqlsink.SourceTxn{Source: "a", Seq: seq, GTID: fmt.Sprintf("0-1-%d", n), Begin: mariaBegin(n)}
}

func mariaBegin(n int) change.Position {
	return change.Position{Flavor: change.MariaDB, GTIDSet: fmt.Sprintf("0-1-%d", n-1),
		File: "mysql-bin.000001", Pos: uint32(100 * n), ServerID: 1}
}

func TestWindowContains(t *testing.T) {
	from := mariaBegin(11) // the checkpoint: after transaction 10
	through := checkpoint.Handed{Begin: mariaBegin(15), GTID: "0-1-15"}
	before := through
	before.Before = true
	fileOnly := func(p change.Position) change.Position { p.GTIDSet = ""; return p }
	fileTxn := func(n int) mysqlsink.SourceTxn {
		x := mariaTxn(1, n)
		x.GTID, x.Begin = "", fileOnly(x.Begin)
		return x
	}
	otherServer := fileTxn(12)
	otherServer.Begin.ServerID = 2
	tests := []struct {
		name string
		from change.Position
		mark checkpoint.Handed
		txn  mysqlsink.SourceTxn
		want bool
	}{
		{"gtid before the checkpoint", from, through, mariaTxn(1, 10), false},
		{"gtid first after the checkpoint", from, through, mariaTxn(1, 11), true},
		{"gtid the mark's own transaction", from, through, mariaTxn(1, 15), true},
		{"gtid the mark's transaction excluded", from, before, mariaTxn(1, 15), false},
		{"gtid before an excluding mark", from, before, mariaTxn(1, 14), true},
		{"gtid after the mark", from, through, mariaTxn(1, 16), false},
		{"file before the checkpoint", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15))}, fileTxn(10), false},
		{"file inside", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15))}, fileTxn(12), true},
		{"file the mark's own transaction", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15))}, fileTxn(15), true},
		{"file the mark's transaction excluded", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15)), Before: true}, fileTxn(15), false},
		{"file after the mark", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15))}, fileTxn(16), false},
		{"file of another server", fileOnly(from), checkpoint.Handed{Begin: fileOnly(mariaBegin(15))}, otherServer, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := newWindow(tt.from, tt.mark)
			require.NoError(t, err)
			got, err := w.contains(tt.txn)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func openWindows(t *testing.T, store *checkpoint.Store, from change.Position) *replayWindows {
	t.Helper()
	r, err := newReplayWindows(store, map[string]change.Position{"a": from}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return r
}

func TestHandedMarksAcrossRestarts(t *testing.T) {
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	marks := func() checkpoint.Handed {
		m, err := store.HandedMarks()
		require.NoError(t, err)
		return m["a"]
	}

	// A first run: no window; every transaction the sink writes is marked
	// before it is written.
	r := openWindows(t, store, mariaBegin(11))
	require.False(t, r.Replays(mariaTxn(1, 11)))
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(1, 11)}))
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(5, 15)}))
	syncs := store.Syncs()
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(4, 14)}), "covered already")
	require.Equal(t, syncs, store.Syncs(), "a covered transaction writes nothing")
	require.Equal(t, checkpoint.Handed{Begin: mariaBegin(15), GTID: "0-1-15"}, marks())

	// Killed after the checkpoint at 11: the restart replays 11..15.
	r = openWindows(t, store, mariaBegin(11))
	require.True(t, r.Replays(mariaTxn(1, 12)))
	require.True(t, r.Replays(mariaTxn(5, 15)))
	require.False(t, r.Replays(mariaTxn(6, 16)))
	syncs = store.Syncs()
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(1, 11)}))
	require.Equal(t, syncs, store.Syncs(), "the window covers the replay already")
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(7, 17)}))
	require.Equal(t, "0-1-17", marks().GTID)

	// A conflict of 18 caps the mark before it, for the rest of the run.
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(8, 18)}))
	require.NoError(t, r.Refused(mariaTxn(8, 18)))
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(9, 19)}))
	require.Equal(t, checkpoint.Handed{Begin: mariaBegin(18), GTID: "0-1-18", Before: true}, marks())

	// The restart meets the conflict again instead of resolving it.
	r = openWindows(t, store, mariaBegin(11))
	require.True(t, r.Replays(mariaTxn(1, 17)))
	require.False(t, r.Replays(mariaTxn(2, 18)))
}

// slowMarks holds every write of the handed marks until released.
type slowMarks struct {
	started, release chan struct{}
}

func (s *slowMarks) SaveHandedMarks(map[string]checkpoint.Handed) error {
	s.started <- struct{}{}
	<-s.release
	return nil
}

func TestHandingWaitsForTheWriteOfItsMark(t *testing.T) {
	store := &slowMarks{started: make(chan struct{}, 1), release: make(chan struct{})}
	r := &replayWindows{store: store, log: slog.Default(), win: map[string]*window{}}
	r.mu.src = map[string]*marking{}
	first := make(chan error, 1)
	go func() { first <- r.Handing([]mysqlsink.SourceTxn{mariaTxn(5, 15)}) }()
	<-store.started
	// The mark of 5 covers 4, but it is not durable yet: a worker about
	// to write 4 must wait for it.
	second := make(chan error, 1)
	go func() { second <- r.Handing([]mysqlsink.SourceTxn{mariaTxn(4, 14)}) }()
	select {
	case err := <-second:
		t.Fatalf("Handing returned (%v) before the mark covering it was durable", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(store.release)
	require.NoError(t, <-first)
	require.NoError(t, <-second)
	require.Len(t, store.started, 0, "the second call wrote nothing of its own")
	// Durable now: covered without a write.
	require.NoError(t, r.Handing([]mysqlsink.SourceTxn{mariaTxn(3, 13)}))
}
