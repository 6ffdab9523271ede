package source

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// binlog builds a synthetic event stream with consistent offsets.
type binlog struct {
	pos      uint32
	serverID uint32
	ts       uint32
	events   []*replication.BinlogEvent
}

func newBinlog(serverID uint32) *binlog {
	return &binlog{pos: 4, serverID: serverID, ts: 1_700_000_000}
}

// add appends an event of size bytes ending at the next offset.
func (b *binlog) add(typ replication.EventType, size uint32, e replication.Event) *binlog {
	b.pos += size
	b.events = append(b.events, &replication.BinlogEvent{
		Header: &replication.EventHeader{Timestamp: b.ts, EventType: typ, ServerID: b.serverID, EventSize: size, LogPos: b.pos},
		Event:  e,
	})
	return b
}

// connect appends what a server sends first: an artificial rotate to file
// and a format description.
func (b *binlog) connect(file string) *binlog {
	b.events = append(b.events, &replication.BinlogEvent{
		Header: &replication.EventHeader{EventType: replication.ROTATE_EVENT, ServerID: b.serverID, EventSize: 40, Flags: replication.LOG_EVENT_ARTIFICIAL_F},
		Event:  &replication.RotateEvent{Position: 4, NextLogName: []byte(file)},
	})
	b.events = append(b.events, &replication.BinlogEvent{
		Header: &replication.EventHeader{Timestamp: b.ts, EventType: replication.FORMAT_DESCRIPTION_EVENT, ServerID: b.serverID, EventSize: 120, LogPos: 124},
		Event:  &replication.FormatDescriptionEvent{},
	})
	b.pos = 124
	return b
}

// rotate appends a real rotate at the end of a file.
func (b *binlog) rotate(next string) *binlog {
	b.add(replication.ROTATE_EVENT, 40, &replication.RotateEvent{Position: 4, NextLogName: []byte(next)})
	return b.connect(next)
}

func (b *binlog) mysqlGTID(sid string, gno int64, commitMicros uint64) *binlog {
	raw, err := hex.DecodeString(strings.ReplaceAll(sid, "-", ""))
	if err != nil {
		panic(err)
	}
	return b.add(replication.GTID_EVENT, 79, &replication.GTIDEvent{SID: raw, GNO: gno, ImmediateCommitTimestamp: commitMicros})
}

func (b *binlog) mariaGTID(domain, server uint32, seq uint64, flags byte) *binlog {
	return b.add(replication.MARIADB_GTID_EVENT, 38, &replication.MariadbGTIDEvent{
		GTID: gomysql.MariadbGTID{DomainID: domain, ServerID: server, SequenceNumber: seq}, Flags: flags,
	})
}

func (b *binlog) query(schema, q string) *binlog {
	return b.add(replication.QUERY_EVENT, uint32(60+len(q)), &replication.QueryEvent{Schema: []byte(schema), Query: []byte(q)})
}

func (b *binlog) tableMap(id uint64, schema, table string) *binlog {
	return b.add(replication.TABLE_MAP_EVENT, 50, testTableMap(id, schema, table))
}

func (b *binlog) rows(typ replication.EventType, id uint64, rows ...[]any) *binlog {
	return b.add(typ, uint32(30+20*len(rows)), &replication.RowsEvent{TableID: id, Rows: rows})
}

func (b *binlog) xid() *binlog {
	return b.add(replication.XID_EVENT, 31, &replication.XIDEvent{XID: 1})
}

// testTableMap describes (id INT PRIMARY KEY, name VARCHAR(255), qty INT)
// with full metadata.
func testTableMap(id uint64, schema, table string) *replication.TableMapEvent {
	return &replication.TableMapEvent{
		TableID: id, Schema: []byte(schema), Table: []byte(table), ColumnCount: 3,
		ColumnType:       []byte{gomysql.MYSQL_TYPE_LONG, gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_LONG},
		ColumnMeta:       []uint16{0, 1020, 0},
		NullBitmap:       []byte{0b110},
		SignednessBitmap: []byte{0},
		DefaultCharset:   []uint64{45},
		ColumnName:       [][]byte{[]byte("id"), []byte("name"), []byte("qty")},
		PrimaryKey:       []uint64{0},
	}
}

func row(id int32, name string, qty int32) []any { return []any{id, name, qty} }

// assemble feeds events to a new assembler and returns what it emits.
func assemble(t *testing.T, flavor, startSet string, maxChanges, maxBytes int, include func(string, string) bool, events []*replication.BinlogEvent) []*change.Txn {
	t.Helper()
	var gset gomysql.GTIDSet
	if startSet != "-" {
		var err error
		gset, err = ParseGTIDSet(flavor, startSet)
		require.NoError(t, err)
	}
	tables := &schemaTracker{source: "s", flavor: flavor, include: include, log: slog.New(slog.DiscardHandler)}
	a := newAssembler(flavor, change.Position{ServerID: 1, File: "old.000001", Pos: 4}, gset, tables, maxChanges, maxBytes, slog.New(slog.DiscardHandler))
	var out []*change.Txn
	for _, ev := range events {
		require.NoError(t, a.feed(context.Background(), ev, func(txn *change.Txn) error {
			out = append(out, txn)
			return nil
		}))
	}
	return out
}

func TestAssembleMySQL(t *testing.T) {
	b := newBinlog(7).connect("binlog.000003")
	b.add(replication.PREVIOUS_GTIDS_EVENT, 71, &replication.PreviousGTIDsEvent{})
	gtidStart := b.pos
	b.mysqlGTID(uuidA, 6, 1_700_000_000_123_456).query("", "BEGIN").tableMap(91, "shop", "item").
		rows(replication.WRITE_ROWS_EVENTv2, 91, row(1, "a", 5), row(2, "b", 6)).
		rows(replication.UPDATE_ROWS_EVENTv2, 91, row(1, "a", 5), row(1, "z", 5), row(2, "b", 6), row(2, "b", 6)).
		rows(replication.DELETE_ROWS_EVENTv2, 91, row(2, "b", 6)).xid()
	firstEnd := b.pos
	b.mysqlGTID(uuidA, 7, 0).query("shop", "ALTER TABLE item ADD COLUMN c INT")
	ddlEnd := b.pos
	b.mysqlGTID(uuidB, 1, 0).query("", "BEGIN").tableMap(92, "shop", "item").
		rows(replication.WRITE_ROWS_EVENTv1, 92, row(3, "c", 1)).xid()

	txns := assemble(t, change.MySQL, uuidA+":1-5", 100, 1<<20, nil, b.events)
	require.Len(t, txns, 3)

	first := txns[0]
	require.True(t, first.Last)
	require.Equal(t, 0, first.Part)
	require.Equal(t, uuidA+":6", first.GTID)
	require.Equal(t, time.UnixMicro(1_700_000_000_123_456).UTC(), first.CommitTime)
	require.Equal(t, change.Position{Flavor: change.MySQL, GTIDSet: uuidA + ":1-5", File: "binlog.000003", Pos: gtidStart, ServerID: 1}, first.Begin)
	require.Equal(t, change.Position{Flavor: change.MySQL, GTIDSet: uuidA + ":1-6", File: "binlog.000003", Pos: firstEnd, ServerID: 1}, first.End)
	require.Len(t, first.Changes, 5)
	ops := []change.Op{change.Insert, change.Insert, change.Update, change.Update, change.Delete}
	for i, c := range first.Changes {
		require.Equal(t, ops[i], c.Op, "change %d", i)
		require.Equal(t, "shop.item", c.Table.QualifiedName())
		require.Equal(t, []int{0}, c.Table.PrimaryKey)
	}
	require.Equal(t, change.Row{int64(1), "a", int64(5)}, first.Changes[0].After)
	require.Nil(t, first.Changes[0].Before)
	require.Nil(t, first.Changes[0].Changed)
	require.Equal(t, change.Row{int64(1), "a", int64(5)}, first.Changes[2].Before)
	require.Equal(t, change.Row{int64(1), "z", int64(5)}, first.Changes[2].After)
	require.Equal(t, []int{1}, first.Changes[2].Changed)
	require.Equal(t, []int{}, first.Changes[3].Changed, "an update that changes nothing")
	require.Equal(t, change.Row{int64(2), "b", int64(6)}, first.Changes[4].Before)
	require.Nil(t, first.Changes[4].After)

	ddl := txns[1]
	require.True(t, ddl.Last)
	require.Empty(t, ddl.Changes)
	require.Equal(t, uuidA+":7", ddl.GTID)
	require.Equal(t, uuidA+":1-7", ddl.End.GTIDSet)
	require.Equal(t, ddlEnd, ddl.End.Pos)
	require.Equal(t, firstEnd, ddl.Begin.Pos)
	require.Equal(t, time.Unix(1_700_000_000, 0).UTC(), ddl.CommitTime)

	require.Equal(t, uuidB+":1", txns[2].GTID)
	require.Equal(t, uuidA+":1-7,"+uuidB+":1", txns[2].End.GTIDSet)
	require.Equal(t, change.Row{int64(3), "c", int64(1)}, txns[2].Changes[0].After)
}

func TestAssembleMariaDB(t *testing.T) {
	const standaloneDDL = replication.BINLOG_MARIADB_FL_STANDALONE | replication.BINLOG_MARIADB_FL_DDL
	b := newBinlog(1).connect("mysql-bin.000001")
	b.add(replication.MARIADB_GTID_LIST_EVENT, 40, &replication.MariadbGTIDListEvent{})
	b.add(replication.MARIADB_BINLOG_CHECKPOINT_EVENT, 40, &replication.MariadbBinlogCheckPointEvent{})
	b.mariaGTID(0, 1, 11, 0).add(replication.MARIADB_ANNOTATE_ROWS_EVENT, 50, &replication.MariadbAnnotateRowsEvent{}).
		tableMap(30, "db", "t").rows(replication.WRITE_ROWS_EVENTv1, 30, row(1, "a", 1)).xid()
	b.mariaGTID(0, 1, 12, standaloneDDL).query("db", "CREATE TABLE u (id INT PRIMARY KEY)")
	// A non-transactional table: the group ends with COMMIT.
	b.mariaGTID(0, 1, 13, 0).tableMap(31, "db", "m").rows(replication.UPDATE_ROWS_EVENTv1, 31, row(1, "a", 1), row(1, "a", 2)).query("db", "COMMIT")
	commitEnd := b.pos
	b.rotate("mysql-bin.000002")
	b.mariaGTID(1, 2, 1, 0).tableMap(30, "db", "t").rows(replication.DELETE_ROWS_EVENTv1, 30, row(1, "a", 1)).xid()

	txns := assemble(t, change.MariaDB, "0-1-10", 100, 1<<20, nil, b.events)
	require.Len(t, txns, 4)
	var gtids, sets []string
	for _, txn := range txns {
		require.True(t, txn.Last)
		gtids, sets = append(gtids, txn.GTID), append(sets, txn.End.GTIDSet)
	}
	require.Equal(t, []string{"0-1-11", "0-1-12", "0-1-13", "1-2-1"}, gtids)
	require.Equal(t, []string{"0-1-11", "0-1-12", "0-1-13", "0-1-13,1-2-1"}, sets)
	require.Equal(t, "0-1-10", txns[0].Begin.GTIDSet)
	require.Len(t, txns[0].Changes, 1)
	require.Empty(t, txns[1].Changes)
	require.Equal(t, []string{"db.u"}, txns[1].Altered, "a statement that creates a table alters it")
	require.Empty(t, txns[0].Altered)
	require.Equal(t, []int{2}, txns[2].Changes[0].Changed)
	require.Equal(t, commitEnd, txns[2].End.Pos)
	require.Equal(t, "mysql-bin.000001", txns[2].End.File)
	require.Equal(t, "mysql-bin.000002", txns[3].End.File)
	require.Equal(t, change.Delete, txns[3].Changes[0].Op)
	require.Equal(t, time.Unix(1_700_000_000, 0).UTC(), txns[3].CommitTime)
}

func TestAssembleWithoutGTIDs(t *testing.T) {
	b := newBinlog(1).connect("mysql-bin.000004")
	b.add(replication.ANONYMOUS_GTID_EVENT, 65, &replication.GTIDEvent{}).query("", "BEGIN").
		tableMap(5, "db", "t").rows(replication.WRITE_ROWS_EVENTv2, 5, row(1, "a", 1)).xid()
	// Without any GTID event (MySQL 5.6 without GTIDs).
	b.query("", "BEGIN").tableMap(5, "db", "t").rows(replication.WRITE_ROWS_EVENTv2, 5, row(2, "b", 1)).xid()
	end := b.pos

	txns := assemble(t, change.MySQL, "-", 100, 1<<20, nil, b.events)
	require.Len(t, txns, 2)
	for _, txn := range txns {
		require.Empty(t, txn.GTID)
		require.Empty(t, txn.End.GTIDSet)
		require.Len(t, txn.Changes, 1)
		require.Zero(t, txn.FirstRow, "each transaction numbers its rows from 0")
	}
	require.Equal(t, change.Position{Flavor: change.MySQL, File: "mysql-bin.000004", Pos: end, ServerID: 1}, txns[1].End)
}

func TestAssembleParts(t *testing.T) {
	events := func() []*replication.BinlogEvent {
		b := newBinlog(1).connect("mysql-bin.000001")
		b.mariaGTID(0, 1, 2, 0).tableMap(30, "db", "t").
			rows(replication.WRITE_ROWS_EVENTv1, 30, row(1, "a", 1), row(2, "b", 1), row(3, "c", 1)).
			rows(replication.WRITE_ROWS_EVENTv1, 30, row(4, "d", 1), row(5, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 1)).xid()
		return b.events
	}
	tests := []struct {
		name                 string
		maxChanges, maxBytes int
		sizes                []int
	}{
		{"by count", 2, 1 << 20, []int{2, 2, 1}},
		{"by count exact", 5, 1 << 20, []int{5}},
		{"one per part", 1, 1 << 20, []int{1, 1, 1, 1, 1}},
		{"by bytes", 100, 2*(changeOverhead+3*16+1) + 1, []int{2, 2, 1}},
		{"oversized row alone", 100, 1, []int{1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txns := assemble(t, change.MariaDB, "0-1-1", tt.maxChanges, tt.maxBytes, nil, events())
			require.Len(t, txns, len(tt.sizes))
			id := int64(1)
			for i, txn := range txns {
				require.Equal(t, i, txn.Part)
				require.Equal(t, int(id-1), txn.FirstRow, "rows of the earlier parts")
				require.Equal(t, i == len(txns)-1, txn.Last)
				require.Equal(t, "0-1-2", txn.GTID)
				require.Len(t, txn.Changes, tt.sizes[i])
				require.Equal(t, "0-1-1", txn.Begin.GTIDSet)
				if !txn.Last {
					require.True(t, txn.End.IsZero(), "only the last part has an End")
				}
				for _, c := range txn.Changes {
					require.Equal(t, id, c.After[0])
					id++
				}
			}
			require.Equal(t, "0-1-2", txns[len(txns)-1].End.GTIDSet)
		})
	}
}

func TestAssembleExcludedTable(t *testing.T) {
	b := newBinlog(1).connect("mysql-bin.000001")
	b.mariaGTID(0, 1, 2, 0).tableMap(30, "db", "skip").rows(replication.WRITE_ROWS_EVENTv1, 30).
		tableMap(31, "db", "keep").rows(replication.WRITE_ROWS_EVENTv1, 31, row(1, "a", 1)).xid()
	b.mariaGTID(0, 1, 3, 0).tableMap(30, "db", "skip").rows(replication.WRITE_ROWS_EVENTv1, 30).xid()

	include := func(schema, table string) bool { return table != "skip" }
	txns := assemble(t, change.MariaDB, "0-1-1", 100, 1<<20, include, b.events)
	require.Len(t, txns, 2)
	require.Len(t, txns[0].Changes, 1)
	require.Equal(t, "db.keep", txns[0].Changes[0].Table.QualifiedName())
	require.Empty(t, txns[1].Changes, "a transaction of excluded tables still moves the position")
	require.Equal(t, "0-1-3", txns[1].End.GTIDSet)
}

func TestAssemblePayload(t *testing.T) {
	inner := newBinlog(1)
	inner.query("", "BEGIN").tableMap(5, "db", "t").rows(replication.WRITE_ROWS_EVENTv2, 5, row(1, "a", 1), row(2, "b", 2)).xid()
	for _, ev := range inner.events {
		ev.Header.LogPos = 0
	}
	b := newBinlog(1).connect("binlog.000001")
	b.mysqlGTID(uuidA, 1, 0).add(replication.TRANSACTION_PAYLOAD_EVENT, 300, &replication.TransactionPayloadEvent{Events: inner.events})
	end := b.pos
	txns := assemble(t, change.MySQL, "", 100, 1<<20, nil, b.events)
	require.Len(t, txns, 1)
	require.Len(t, txns[0].Changes, 2)
	require.Equal(t, end, txns[0].End.Pos)
	require.Equal(t, uuidA+":1", txns[0].End.GTIDSet)
}

func TestAssembleIncident(t *testing.T) {
	b := newBinlog(1).connect("binlog.000001")
	b.add(replication.INCIDENT_EVENT, 30, &replication.GenericEvent{})
	tables := &schemaTracker{source: "s", log: slog.New(slog.DiscardHandler)}
	a := newAssembler(change.MySQL, change.Position{}, nil, tables, 10, 100, slog.New(slog.DiscardHandler))
	var err error
	for _, ev := range b.events {
		if err = a.feed(context.Background(), ev, func(*change.Txn) error { return nil }); err != nil {
			break
		}
	}
	require.Error(t, err)
	require.True(t, isPermanent(err))
}

func TestChanged(t *testing.T) {
	tests := []struct {
		name                string
		before, after       change.Row
		skipBefore, skipAft []int
		want                []int
	}{
		{"none", change.Row{int64(1), "a"}, change.Row{int64(1), "a"}, nil, nil, []int{}},
		{"one", change.Row{int64(1), "a"}, change.Row{int64(1), "b"}, nil, nil, []int{1}},
		{"null to empty", change.Row{nil, ""}, change.Row{"", nil}, nil, nil, []int{0, 1}},
		{"bytes equal", change.Row{[]byte("x")}, change.Row{[]byte("x")}, nil, nil, []int{}},
		{"partial after", change.Row{int64(1), nil}, change.Row{nil, "b"}, []int{1}, []int{0}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, changed(tt.before, tt.after, tt.skipBefore, tt.skipAft))
		})
	}
	// The list is gathered on the stack and copied once.
	before, after := change.Row{int64(1), "a", "b", nil}, change.Row{int64(1), "a", "c", int64(2)}
	require.Equal(t, 1.0, testing.AllocsPerRun(100, func() { changed(before, after, nil, nil) }))
}

// Adding a row change to an open transaction with room for it allocates
// nothing: taking the change's address for the large-value gate on every
// call, rather than on the rare large one, moved each change to the heap.
func TestAssemblerAddAllocatesNothingPerChange(t *testing.T) {
	a := newAssembler(change.MariaDB, change.Position{}, nil, nil, 1000, 1<<30, slog.New(slog.DiscardHandler))
	a.ensureOpen(4, time.Time{})
	c := change.RowChange{Op: change.Insert, After: change.Row{int64(1), "x"}}
	emit := func(*change.Txn) error {
		t.Fatal("no part should be emitted")
		return nil
	}
	allocs := testing.AllocsPerRun(10, func() {
		a.cur.changes = a.cur.changes[:0] // the room of the run before
		for range 100 {
			if err := a.add(c, 64, emit); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Zero(t, allocs, "allocations per 100 changes added")
}
