package source

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestStreamRowChanges(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, name VARCHAR(20), qty INT UNSIGNED)")
	start := positionOf(t, s)
	require.Equal(t, change.MariaDB, start.Flavor)
	require.Equal(t, "0-1-2", start.GTIDSet)
	require.Equal(t, uint32(1), start.ServerID)

	rr := run(t, New(testOptions(s)), start, 16)
	s.Exec(t,
		"INSERT INTO db.t VALUES (1, 'a', 10), (2, NULL, 20)",
		"UPDATE db.t SET name = 'b' WHERE id = 2",
		"DELETE FROM db.t WHERE id = 1",
		"BEGIN; INSERT INTO db.t VALUES (3, 'c', 4294967295); UPDATE db.t SET qty = 1 WHERE id = 3; COMMIT")

	ins := rr.nextWithChanges(t)
	require.Equal(t, uint64(1), ins.Seq)
	require.Equal(t, "src", ins.Source)
	require.Equal(t, "0-1-3", ins.GTID)
	require.Equal(t, start, ins.Begin)
	require.Equal(t, "0-1-3", ins.End.GTIDSet)
	require.Equal(t, start.File, ins.End.File)
	require.Greater(t, ins.End.Pos, start.Pos)
	require.Equal(t, uint32(1), ins.End.ServerID)
	require.WithinDuration(t, time.Now(), ins.CommitTime, time.Minute)
	require.Equal(t, []change.Row{{int64(1), "a", uint64(10)}, {int64(2), nil, uint64(20)}}, afterRows(ins.Changes))
	require.Equal(t, []string{"id", "name", "qty"}, columnNames(ins.Changes[0].Table))
	require.Equal(t, []int{0}, ins.Changes[0].Table.PrimaryKey)

	upd := rr.nextWithChanges(t)
	require.Equal(t, uint64(2), upd.Seq)
	require.Equal(t, ins.End, upd.Begin)
	require.Equal(t, change.Update, upd.Changes[0].Op)
	require.Equal(t, change.Row{int64(2), nil, uint64(20)}, upd.Changes[0].Before)
	require.Equal(t, change.Row{int64(2), "b", uint64(20)}, upd.Changes[0].After)
	require.Equal(t, []int{1}, upd.Changes[0].Changed)

	del := rr.nextWithChanges(t)
	require.Equal(t, change.Delete, del.Changes[0].Op)
	require.Equal(t, change.Row{int64(1), "a", uint64(10)}, del.Changes[0].Before)
	require.Nil(t, del.Changes[0].After)

	multi := rr.nextWithChanges(t)
	require.Equal(t, uint64(4), multi.Seq)
	require.Equal(t, "0-1-6", multi.End.GTIDSet)
	require.Len(t, multi.Changes, 2)
	require.Equal(t, change.Row{int64(3), "c", uint64(4294967295)}, multi.Changes[0].After)
	require.Equal(t, []int{2}, multi.Changes[1].Changed)
	rr.quiet(t, 300*time.Millisecond)
}

func TestStartAtCurrentPosition(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)", "INSERT INTO db.t VALUES (1)")
	rr := run(t, New(testOptions(s)), change.Position{}, 16)
	waitDumping(t, s.DB(t, ""))
	s.Exec(t, "INSERT INTO db.t VALUES (2)")
	txn := rr.nextWithChanges(t)
	require.Equal(t, []change.Row{{int64(2)}}, afterRows(txn.Changes))
	require.Equal(t, "0-1-4", txn.End.GTIDSet)
}

func TestResumeFromEnd(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	start := positionOf(t, s)
	for i := 1; i <= 5; i++ {
		s.Exec(t, fmt.Sprintf("INSERT INTO db.t VALUES (%d)", i))
	}
	first := run(t, New(testOptions(s)), start, 16)
	var all []*change.Txn
	for range 5 {
		all = append(all, first.nextWithChanges(t))
	}
	first.stop(t)

	fileOnly := all[1].End
	fileOnly.GTIDSet = ""
	tests := []struct {
		name string
		from change.Position
	}{
		{"by gtid", all[1].End},
		{"by file and offset", fileOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := run(t, New(testOptions(s)), tt.from, 16)
			for i, want := range all[2:] {
				got := rr.nextWithChanges(t)
				require.Equal(t, uint64(i+1), got.Seq)
				require.Equal(t, want.GTID, got.GTID)
				require.Equal(t, want.End, got.End, "the GTID set is known also after a file/pos start")
				require.Equal(t, afterRows(want.Changes), afterRows(got.Changes))
			}
			rr.quiet(t, 300*time.Millisecond)
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	start := positionOf(t, s)
	rr := run(t, New(testOptions(s)), start, 16)
	s.Exec(t, "INSERT INTO db.t VALUES (1)", "FLUSH BINARY LOGS", "INSERT INTO db.t VALUES (2)", "FLUSH BINARY LOGS", "INSERT INTO db.t VALUES (3)")
	var ends []change.Position
	for i := 1; i <= 3; i++ {
		txn := rr.nextWithChanges(t)
		require.Equal(t, []change.Row{{int64(i)}}, afterRows(txn.Changes))
		ends = append(ends, txn.End)
	}
	require.Equal(t, start.File, ends[0].File)
	require.NotEqual(t, ends[0].File, ends[1].File)
	require.NotEqual(t, ends[1].File, ends[2].File)
	ord0, err := ends[0].Ordinal()
	require.NoError(t, err)
	ord2, err := ends[2].Ordinal()
	require.NoError(t, err)
	require.Less(t, ord0, ord2)

	// A file/pos resume from before the rotations crosses them.
	from := ends[0]
	from.GTIDSet = ""
	opts := testOptions(s)
	opts.ServerID++ // a second replica next to the first
	again := run(t, New(opts), from, 16)
	require.Equal(t, ends[1], again.nextWithChanges(t).End)
	require.Equal(t, ends[2], again.nextWithChanges(t).End)
}

func TestServerChanged(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	p := positionOf(t, s)
	p.GTIDSet, p.ServerID = "", 99
	err := run(t, New(testOptions(s)), p, 16).waitErr(t)
	require.ErrorIs(t, err, ErrServerChanged)
}

func TestPurgedPosition(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	start := positionOf(t, s)
	s.Exec(t, "INSERT INTO db.t VALUES (1)", "FLUSH BINARY LOGS", "INSERT INTO db.t VALUES (2)", "FLUSH BINARY LOGS")
	now := positionOf(t, s)
	// MariaDB keeps a binlog until InnoDB no longer needs it for crash
	// recovery, which happens shortly after the rotation.
	db := s.DB(t, "")
	require.Eventually(t, func() bool {
		if _, err := db.Exec(fmt.Sprintf("PURGE BINARY LOGS TO '%s'", now.File)); err != nil {
			return false
		}
		first, err := queryRow(context.Background(), db, "SHOW BINARY LOGS")
		return err == nil && first["Log_name"] == now.File
	}, waitTimeout, 50*time.Millisecond)

	fileOnly := start
	fileOnly.GTIDSet = ""
	for _, from := range []change.Position{start, fileOnly} {
		err := run(t, New(testOptions(s)), from, 16).waitErr(t)
		require.ErrorIs(t, err, ErrPositionPurged)
		for _, want := range []string{"tributary checkpoint reset --source NAME --backfill", "server said"} {
			require.Contains(t, err.Error(), want)
		}
	}
}

// TestPositionNotAtEvent starts a file/pos stream in the middle of an
// event: the error says so, not that the logs were purged.
func TestPositionNotAtEvent(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	p := positionOf(t, s)
	for _, pos := range []uint32{5, p.Pos + 1_000_000} {
		from := p
		from.GTIDSet, from.Pos = "", pos
		err := run(t, New(testOptions(s)), from, 16).waitErr(t)
		require.ErrorIs(t, err, ErrPositionInvalid, "pos %d", pos)
		require.NotErrorIs(t, err, ErrPositionPurged)
		require.ErrorContains(t, err, "server said")
	}
}

// TestReachableEventStart refuses a file/pos where no event starts, as
// checkpoint set asks before saving one.
func TestReachableEventStart(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	p := positionOf(t, s)
	p.GTIDSet = ""
	r := New(testOptions(s))
	require.NoError(t, r.Reachable(t.Context(), p), "the end of the last file")
	first := p
	first.Pos = 4
	require.NoError(t, r.Reachable(t.Context(), first))
	first.Pos = 5
	require.ErrorContains(t, r.Reachable(t.Context(), first), "offset 5 of "+p.File+" is not where an event starts")
}

func TestRunRejectsBadOptions(t *testing.T) {
	r := New(Options{Name: "x"})
	err := r.Run(context.Background(), change.Position{}, make(chan *change.Txn))
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "server id is 0") && strings.Contains(err.Error(), "host is empty"), err.Error())
}

// TestIncludeFilter streams only included tables; transactions of excluded
// ones are held back and sent about once a second, so the position still
// moves.
func TestIncludeFilter(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.keep (id INT PRIMARY KEY)", "CREATE TABLE db.skip (id INT PRIMARY KEY)")
	opts := testOptions(s)
	opts.Include = func(schema, table string) bool { return table == "keep" }
	rr := run(t, New(opts), positionOf(t, s), 64)
	s.Exec(t, "BEGIN; INSERT INTO db.keep VALUES (1); INSERT INTO db.skip VALUES (1); COMMIT")
	txn := rr.nextWithChanges(t)
	require.Len(t, txn.Changes, 1)
	require.Equal(t, "db.keep", txn.Changes[0].Table.QualifiedName())

	for i := 2; i <= 21; i++ {
		s.Exec(t, fmt.Sprintf("INSERT INTO db.skip VALUES (%d)", i))
	}
	last := positionOf(t, s)
	empties := 0
	for {
		txn := rr.next(t)
		require.Empty(t, txn.Changes)
		require.True(t, txn.Last)
		empties++
		if txn.End.GTIDSet == last.GTIDSet {
			require.Equal(t, last.Pos, txn.End.Pos)
			break
		}
	}
	require.Less(t, empties, 10, "empty transactions are coalesced")
}

func TestBinlogStatusFallback(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	// MariaDB does not know SHOW BINARY LOG STATUS: the MySQL path falls
	// back to SHOW MASTER STATUS.
	row, err := binlogStatus(context.Background(), s.DB(t, ""), change.MySQL)
	require.NoError(t, err)
	require.Equal(t, "mysql-bin.000001", row["File"])
	require.NotEmpty(t, row["Position"])
}

// TestMariaDBJSON checks that a MariaDB JSON column, logged as LONGTEXT,
// decodes as JSON with full row metadata.
func TestMariaDBJSON(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.j (id INT PRIMARY KEY, doc JSON, note LONGTEXT)")
	rr := run(t, New(testOptions(s)), positionOf(t, s), 16)
	s.Exec(t, `INSERT INTO db.j VALUES (1, '{"a": [1, 2.50]}', 'plain')`)
	txn := rr.nextWithChanges(t)
	require.Equal(t, change.Row{int64(1), change.JSON(`{"a": [1, 2.50]}`), "plain"}, txn.Changes[0].After)
	require.Equal(t, change.KindJSON, txn.Changes[0].Table.Columns[1].Kind)
}

// TestMinimalMetadataNeedsHistory checks that rows without column names
// stop the reader when there is no schema history to name them.
func TestMinimalMetadataNeedsHistory(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t, "--binlog-row-metadata=MINIMAL")
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	rr := run(t, New(testOptions(s)), positionOf(t, s), 16)
	s.Exec(t, "INSERT INTO db.t VALUES (1)")
	err := rr.waitErr(t)
	require.ErrorContains(t, err, "no schema history")
}

// TestStatementBasedChange stops the reader at a change logged as a
// statement, whose rows the binlog does not carry.
func TestStatementBasedChange(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	rr := run(t, New(testOptions(s)), positionOf(t, s), 16)
	s.Exec(t, "SET SESSION binlog_format = 'STATEMENT'; INSERT INTO db.t VALUES (1)")
	err := rr.waitErr(t)
	require.ErrorContains(t, err, "statement-based change to db.t")
	require.True(t, isPermanent(err))
}
