package source

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributary-cdc/tributary/internal/change"
)

// emitFunc receives each transaction part the assembler completes.
type emitFunc func(*change.Txn) error

// assembler turns binlog events, fed one at a time in stream order, into
// transactions. It tracks the binlog file and offset from rotate events
// and event headers, and the executed GTID set from GTID events.
//
// A transaction opens at a GTID event (or a BEGIN, a table map or a rows
// event outside one) and closes at its XID event, a COMMIT or ROLLBACK
// query, or, for a statement that is a transaction of its own (DDL), at that
// query. Large transactions are cut into parts of at most maxChanges
// changes and about maxBytes bytes; only the last part carries End.
type assembler struct {
	flavor string
	// pos is the position after the last event fed: file, offset and
	// server identity; its GTIDSet is unused.
	pos change.Position
	// gset is the executed GTID set, nil when unknown (file/pos streaming
	// where the server cannot translate the start); setText is its text.
	gset    gomysql.GTIDSet
	setText string
	tables  *schemaTracker
	log     *slog.Logger

	maxChanges, maxBytes int
	// lastChanges is the changes of the last transaction's last part,
	// which the next one's first part starts with room for (up to a
	// part's worth): transactions of a workload tend to be alike, and
	// growing the slice change by change allocates several times over (a
	// run of 1,000-row inserts allocated twice its changes while the room
	// stopped at 64).
	lastChanges int
	cur         *openTxn
	// large, set while a large event is fed, sees each of its changes of
	// at least largeValue bytes before it is kept (see readGate.hold).
	large func(*change.RowChange)
}

// openTxn is the transaction being assembled.
type openTxn struct {
	gtid string
	// explicit is set by BEGIN: statements inside do not end it.
	explicit bool
	// grouped is set by a MariaDB GTID event without the standalone flag:
	// the group ends at its XID or COMMIT, not at a statement.
	grouped    bool
	begin      change.Position
	commitTime time.Time
	part       int
	// emitted counts the changes of the parts already sent.
	emitted int
	// ddl lists the transaction's table statements that mappings must
	// hear of; they go with its last part.
	ddl []change.DDL
	// altered names the included tables its DDL statements touched.
	altered []string
	changes []change.RowChange
	bytes   int
}

// newAssembler starts at pos (file and offset) with the executed GTID set
// gset, nil when unknown.
func newAssembler(flavor string, pos change.Position, gset gomysql.GTIDSet, tables *schemaTracker, maxChanges, maxBytes int, log *slog.Logger) *assembler {
	a := &assembler{flavor: flavor, pos: pos, gset: gset, tables: tables, log: log,
		maxChanges: maxChanges, maxBytes: maxBytes}
	a.pos.Flavor, a.pos.GTIDSet = flavor, ""
	if gset != nil {
		a.setText = gset.String()
	}
	return a
}

// feed processes one event and calls emit for every part it completes.
func (a *assembler) feed(ctx context.Context, ev *replication.BinlogEvent, emit emitFunc) error {
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		// Also the artificial rotate sent on connect: it names the file
		// the stream starts in. The offset of a real rotate belongs to the
		// old file, so the header is not applied.
		a.pos.File, a.pos.Pos = string(e.NextLogName), uint32(e.Position)
		a.tables.reset()
		return nil
	case *replication.FormatDescriptionEvent, *replication.HeartbeatEvent:
		return nil
	case *replication.TransactionPayloadEvent:
		start := a.eventStart(h)
		a.advance(h)
		for _, inner := range e.Events {
			if err := a.handle(ctx, inner, start, emit); err != nil {
				return err
			}
		}
		return nil
	}
	start := a.eventStart(h)
	a.advance(h)
	return a.handle(ctx, ev, start, emit)
}

// holding reports whether the assembler holds changes it has not sent.
func (a *assembler) holding() bool {
	return a.cur != nil && len(a.cur.changes) > 0
}

// eventStart returns the offset where the event begins.
func (a *assembler) eventStart(h *replication.EventHeader) uint32 {
	if h.LogPos >= h.EventSize && h.LogPos > 0 {
		return h.LogPos - h.EventSize
	}
	return a.pos.Pos
}

// advance moves the offset past the event. Artificial events, sent on
// connect, do not belong to the file.
func (a *assembler) advance(h *replication.EventHeader) {
	if h.LogPos > 0 && h.Flags&replication.LOG_EVENT_ARTIFICIAL_F == 0 {
		a.pos.Pos = h.LogPos
	}
}

// handle applies one event whose position has been accounted for; start is
// its own offset.
func (a *assembler) handle(ctx context.Context, ev *replication.BinlogEvent, start uint32, emit emitFunc) error {
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.GTIDEvent:
		gtid := ""
		if h.EventType != replication.ANONYMOUS_GTID_EVENT {
			gtid = mysqlGTID(e.SID, e.Tag, e.GNO)
		}
		return a.openAt(gtid, start, a.gtidTime(h, e), false, emit)
	case *replication.GtidTaggedLogEvent:
		return a.openAt(mysqlGTID(e.SID, e.Tag, e.GNO), start, a.gtidTime(h, &e.GTIDEvent), false, emit)
	case *replication.MariadbGTIDEvent:
		gtid := fmt.Sprintf("%d-%d-%d", e.GTID.DomainID, e.GTID.ServerID, e.GTID.SequenceNumber)
		return a.openAt(gtid, start, headerTime(h), !e.IsStandalone(), emit)
	case *replication.QueryEvent:
		return a.query(ctx, e, start, headerTime(h), emit)
	case *replication.TableMapEvent:
		a.ensureOpen(start, headerTime(h))
		return a.tables.tableMap(ctx, e, a.pos)
	case *replication.RowsEvent:
		a.ensureOpen(start, headerTime(h))
		op, ok := rowsOp(h.EventType)
		if !ok {
			return permanent(fmt.Errorf("rows event of unknown type %s", h.EventType))
		}
		dec, err := a.tables.decoder(e.TableID)
		if err != nil || dec == nil {
			return err
		}
		return rowChanges(op, e, dec, func(c change.RowChange, size int) error { return a.add(c, size, emit) })
	case *replication.XIDEvent:
		a.ensureOpen(start, headerTime(h))
		return a.close(emit)
	case *replication.GenericEvent:
		switch h.EventType {
		case replication.XA_PREPARE_LOG_EVENT:
			a.ensureOpen(start, headerTime(h))
			return a.close(emit)
		case replication.INCIDENT_EVENT:
			return permanent(fmt.Errorf("incident event at %s:%d: the source reports that changes may be missing "+
				"from its binary log; copy its tables again with tributary backfill", a.pos.File, start))
		}
	}
	return nil
}

// query handles a query event: BEGIN, COMMIT, ROLLBACK, or a statement
// such as DDL.
func (a *assembler) query(ctx context.Context, e *replication.QueryEvent, start uint32, ts time.Time, emit emitFunc) error {
	q := strings.TrimSpace(string(e.Query))
	switch {
	case strings.EqualFold(q, "BEGIN") || hasPrefixFold(q, "XA START"):
		a.ensureOpen(start, ts)
		a.cur.explicit = true
		return nil
	case strings.EqualFold(q, "COMMIT") || strings.EqualFold(q, "ROLLBACK"):
		a.ensureOpen(start, ts)
		return a.close(emit)
	}
	// Any other statement in a row-based binlog is DDL or administration;
	// table ids may change, so every decoder is rebuilt.
	a.tables.reset()
	var events []change.DDL
	var altered []string
	if d, ok := parseDDL(q, string(e.Schema)); ok {
		var err error
		if events, err = a.tables.applyDDL(ctx, &d, a.pos); err != nil {
			return err
		}
		altered = a.tables.touched(d)
	} else if t, ok := parseDML(q, string(e.Schema)); ok && t.Schema != "mysql" && a.tables.included(t) {
		return permanent(fmt.Errorf("statement-based change to %s.%s at %s:%d: its rows are not in the binlog; "+
			"make every session log with binlog_format=ROW, then backfill the table", t.Schema, t.Name, a.pos.File, start))
	}
	if a.cur != nil && (a.cur.explicit || a.cur.grouped) {
		a.cur.ddl = append(a.cur.ddl, events...)
		a.cur.altered = append(a.cur.altered, altered...)
		return nil
	}
	a.ensureOpen(start, ts)
	a.cur.ddl = append(a.cur.ddl, events...)
	a.cur.altered = append(a.cur.altered, altered...)
	return a.close(emit)
}

// openAt opens a transaction at a GTID event. A transaction still open
// there never saw its commit event; it is closed where the new one starts.
func (a *assembler) openAt(gtid string, start uint32, ts time.Time, grouped bool, emit emitFunc) error {
	if a.cur != nil {
		a.log.Warn("transaction without commit event; closing it at the next GTID",
			"gtid", a.cur.gtid, "file", a.pos.File, "pos", start)
		end := a.pos.Pos
		a.pos.Pos = start
		err := a.close(emit)
		a.pos.Pos = end
		if err != nil {
			return err
		}
	}
	a.ensureOpen(start, ts)
	a.cur.gtid, a.cur.grouped = gtid, grouped
	return nil
}

// ensureOpen opens a transaction at start unless one is open.
func (a *assembler) ensureOpen(start uint32, ts time.Time) {
	if a.cur != nil {
		return
	}
	begin := a.pos
	begin.Pos, begin.GTIDSet = start, a.setText
	a.cur = &openTxn{begin: begin, commitTime: ts}
}

// add appends a change, first sending the changes gathered so far as a
// part when the change would overflow it.
func (a *assembler) add(c change.RowChange, size int, emit emitFunc) error {
	if size >= largeValue && a.large != nil {
		held := c // a.large(&c) would move every change to the heap
		a.large(&held)
	}
	t := a.cur
	if len(t.changes) > 0 && (len(t.changes) >= a.maxChanges || t.bytes+size > a.maxBytes) {
		part := &change.Txn{Part: t.part, FirstRow: t.emitted, GTID: t.gtid, CommitTime: t.commitTime,
			Begin: t.begin, Changes: t.changes}
		t.part++
		t.emitted += len(t.changes)
		t.changes, t.bytes = make([]change.RowChange, 0, len(t.changes)), 0
		if err := emit(part); err != nil {
			return err
		}
	}
	if t.changes == nil {
		t.changes = make([]change.RowChange, 0, min(max(a.lastChanges, 1), a.maxChanges))
	}
	t.changes = append(t.changes, c)
	t.bytes += size
	return nil
}

// close completes the open transaction at the current position and emits
// its last part.
func (a *assembler) close(emit emitFunc) error {
	t := a.cur
	a.cur = nil
	a.lastChanges = len(t.changes)
	if t.gtid != "" && a.gset != nil {
		if err := a.gset.Update(t.gtid); err != nil {
			return permanent(fmt.Errorf("adding GTID %s to the executed set: %w", t.gtid, err))
		}
		a.setText = setText(a.gset)
	}
	end := a.pos
	end.GTIDSet = a.setText
	return emit(&change.Txn{Part: t.part, FirstRow: t.emitted, Last: true, GTID: t.gtid, CommitTime: t.commitTime,
		Begin: t.begin, End: end, Changes: t.changes, DDL: t.ddl, Altered: t.altered})
}

// gtidTime is the commit time of a MySQL transaction: the immediate commit
// timestamp (microseconds, MySQL 8.0.1+) or the header's seconds.
func (a *assembler) gtidTime(h *replication.EventHeader, e *replication.GTIDEvent) time.Time {
	if e.ImmediateCommitTimestamp > 0 {
		return e.ImmediateCommitTime().UTC()
	}
	return headerTime(h)
}

func headerTime(h *replication.EventHeader) time.Time {
	if h.Timestamp == 0 {
		return time.Time{}
	}
	return time.Unix(int64(h.Timestamp), 0).UTC()
}

// mysqlGTID renders a MySQL GTID as "uuid:gno" or "uuid:tag:gno".
func mysqlGTID(sid []byte, tag gomysql.Tag, gno int64) string {
	var b strings.Builder
	if len(sid) == 16 {
		fmt.Fprintf(&b, "%x-%x-%x-%x-%x", sid[0:4], sid[4:6], sid[6:8], sid[8:10], sid[10:16])
	}
	b.WriteByte(':')
	if t := tag.String(); t != "" {
		b.WriteString(t)
		b.WriteByte(':')
	}
	b.WriteString(strconv.FormatInt(gno, 10))
	return b.String()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// setText renders set as its String method does. A MariaDB set of one
// domain, the usual case, is rendered without the sort, join and Sprintf
// of go-mysql's String, once for every transaction.
func setText(set gomysql.GTIDSet) string {
	m, ok := set.(*gomysql.MariadbGTIDSet)
	if !ok || len(m.Sets) != 1 {
		return set.String()
	}
	for _, g := range m.Sets {
		if g.DomainID == 0 && g.ServerID == 0 && g.SequenceNumber == 0 {
			return ""
		}
		b := make([]byte, 0, 32)
		b = strconv.AppendUint(b, uint64(g.DomainID), 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(g.ServerID), 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, g.SequenceNumber, 10)
		return string(b)
	}
	return ""
}
