package source

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestMarkPosition: on an idle stream, MarkPosition yields at once a
// transaction without changes at the position the stream has reached,
// with its GTID set; the transactions around it keep their order and
// numbering.
func TestMarkPosition(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	r := New(testOptions(s))
	rr := run(t, r, positionOf(t, s), 16)
	waitDumping(t, s.DB(t, ""))
	s.Exec(t, "INSERT INTO db.t VALUES (1)")
	first := rr.nextWithChanges(t)

	// Well before the idle flush (1 s) or a heartbeat (10 s).
	asked := time.Now()
	var mark *change.Txn
	for mark == nil {
		r.MarkPosition()
		select {
		case txn := <-rr.out:
			mark = txn
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.Less(t, time.Since(asked), 900*time.Millisecond)
	require.True(t, mark.Last)
	require.Empty(t, mark.Changes)
	require.Equal(t, first.End, mark.End)
	require.Equal(t, first.Seq+1, mark.Seq)

	s.Exec(t, "INSERT INTO db.t VALUES (2)")
	next := rr.nextWithChanges(t)
	require.Greater(t, next.Seq, mark.Seq)
	require.Equal(t, change.Row{int64(2)}, next.Changes[0].After)
}
