package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// gtxn is a complete transaction gtid after which the stream's executed
// set is end.
func gtxn(gtid, end string, changes ...change.RowChange) *change.Txn {
	return &change.Txn{Source: "s", Last: true, GTID: gtid, End: change.Position{GTIDSet: end}, Changes: changes}
}

func mustSet(t *testing.T, flavor, s string) gtid.Set {
	t.Helper()
	set, err := gtid.Parse(flavor, s)
	require.NoError(t, err)
	return set
}

// TestGTIDWindow follows a chunk bounded by GTID sets on a MariaDB stream
// with two domains through each step: what is recorded before and after
// the low set is known, and where the window closes.
func TestGTIDWindow(t *testing.T) {
	chunk := []change.Row{person("a", 1), person("a", 2), person("a", 3), person("abc", 4), person("b", 5)}
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	feed := func(txn *change.Txn) []checkpoint.Cursor {
		cs, err := m.Intercept(t.Context(), txn)
		require.NoError(t, err)
		return cs
	}
	// Before the window: not recorded, and where the stream is.
	require.Empty(t, feed(gtxn("0-1-10", "0-1-10,1-1-3", del(binlogPeople, person("abc", 4)))))
	// The first part of a transaction whose last part comes later.
	part := gtxn("1-1-4", "", del(binlogPeople, person("abc", 4)))
	part.Last = false
	require.Empty(t, feed(part))

	w := m.expectGTID("run", 1, p, change.MariaDB)
	require.NoError(t, w.gtid.passedErr)
	require.Equal(t, "0-1-10,1-1-4", w.gtid.passed.String(), "the transaction under way counts as passed")

	// Until the low set is known, every transaction is recorded.
	rest := gtxn("1-1-4", "0-1-10,1-1-4", upd(binlogPeople, person("a", 1), person("a", 1)))
	rest.Part = 1
	require.Empty(t, feed(rest))
	m.setLow(w, mustSet(t, change.MariaDB, "0-1-11,1-1-4"))
	// In the low set (the read saw it): not recorded, whatever its order.
	require.Empty(t, feed(gtxn("0-1-11", "0-1-11,1-1-4", del(binlogPeople, person("a", 3)))))
	// Not in it: recorded, in either domain.
	require.Empty(t, feed(gtxn("1-1-5", "0-1-11,1-1-5", upd(binlogPeople, person("a", 2), person("z", 2)))))
	m.deliver(w, chunk, checkpoint.Cursor{Source: "s", Schema: "app", Table: "people", After: p.KeyOf(chunk[4]), Rows: 10})
	m.setHigh(w, mustSet(t, change.MariaDB, "0-1-12,1-1-5"))
	// Domain 1 is past, domain 0 not yet: still open.
	notYet := gtxn("1-1-6", "0-1-11,1-1-6", ins(other, person("q", 1)))
	require.Empty(t, feed(notYet))
	require.Len(t, notYet.Changes, 1)
	// A part that is not the transaction's last never closes it.
	first := gtxn("0-1-12", "", del(binlogPeople, person("b", 5)))
	first.Last = false
	require.Empty(t, feed(first))
	last := gtxn("0-1-12", "0-1-12,1-1-6", ins(other, person("x", 1)))
	last.Part = 1
	cursors := feed(last)
	got := <-w.result
	require.Empty(t, got.redo)
	require.NoError(t, got.err)
	require.Equal(t, []string{"a/3", "abc/4"}, readKeys(t, last), "a/1, a/2 and b/5 changed in the window, abc/4 before it")
	require.Equal(t, "insert other", last.Changes[0].Op.String()+" "+last.Changes[0].Table.Name, "the reads follow the transaction's changes")
	require.Len(t, cursors, 1)
	require.Equal(t, uint64(12), cursors[0].Rows)
	require.False(t, m.inFlight(w))
}

// TestGTIDWindowKeepsRowsBeforeTheWindow: a chunk whose read saw
// everything the stream passes keeps all its rows, and closes at the
// first transaction past the high set, the reads after its changes.
func TestGTIDWindowKeepsRowsBeforeTheWindow(t *testing.T) {
	for _, tt := range []struct {
		flavor, passed, gtid, end, low, high string
	}{
		{change.MariaDB, "0-1-5", "0-1-6", "0-1-6", "0-1-6", "0-1-6"},
		{change.MySQL, uuidA + ":1-5", uuidA + ":6", uuidA + ":1-6", uuidA + ":1-6", uuidA + ":1-6"},
	} {
		t.Run(tt.flavor, func(t *testing.T) {
			p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
			require.NoError(t, err)
			m := NewMerger("s", nil)
			_, err = m.Intercept(t.Context(), gtxn("", tt.passed))
			require.NoError(t, err)
			w := m.expectGTID("run", 1, p, tt.flavor)
			m.setLow(w, mustSet(t, tt.flavor, tt.low))
			m.deliver(w, []change.Row{person("a", 1), person("a", 2)}, checkpoint.Cursor{Rows: 3})
			m.setHigh(w, mustSet(t, tt.flavor, tt.high))
			txn := gtxn(tt.gtid, tt.end, upd(binlogPeople, person("a", 1), person("a", 1)), ins(other, person("x", 1)))
			cursors, err := m.Intercept(t.Context(), txn)
			require.NoError(t, err)
			var ops []string
			for _, c := range txn.Changes {
				ops = append(ops, c.Op.String()+" "+c.Table.Name)
			}
			require.Equal(t, []string{"update people", "insert other", "read people", "read people"}, ops)
			require.Equal(t, []checkpoint.Cursor{{Rows: 5}}, cursors)
			require.Equal(t, 2, (<-w.result).kept)
		})
	}
}

// TestGTIDWindowAtPositionTransaction: on an idle source the stream has
// passed the high set before it is known; the chunk enters the stream at
// the next transaction, a position transaction without changes.
func TestGTIDWindowAtPositionTransaction(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	_, err = m.Intercept(t.Context(), gtxn("0-1-9", "0-1-9,1-1-2"))
	require.NoError(t, err)
	w := m.expectGTID("run", 1, p, change.MariaDB)
	m.setLow(w, mustSet(t, change.MariaDB, "0-1-9,1-1-2"))
	m.deliver(w, []change.Row{person("a", 1)}, checkpoint.Cursor{})
	m.setHigh(w, mustSet(t, change.MariaDB, "0-1-9,1-1-2"))
	pos := gtxn("", "0-1-9,1-1-2")
	_, err = m.Intercept(t.Context(), pos)
	require.NoError(t, err)
	require.Equal(t, []string{"a/1"}, readKeys(t, pos))
	require.Equal(t, 1, (<-w.result).kept)
}

// TestGTIDWindowRedoesOnDDL: a statement on the table after the low set
// reads the chunk again; one the read saw does not.
func TestGTIDWindowRedoesOnDDL(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	for _, tt := range []struct {
		gtid string
		redo bool
	}{{"0-1-5", false}, {"0-1-6", true}} {
		m := NewMerger("s", nil)
		w := m.expectGTID("run", 1, p, change.MariaDB)
		m.setLow(w, mustSet(t, change.MariaDB, "0-1-5"))
		m.deliver(w, []change.Row{person("a", 1)}, checkpoint.Cursor{})
		ddl := gtxn(tt.gtid, "0-1-6")
		ddl.Altered = []string{"app.people"}
		m.setHigh(w, mustSet(t, change.MariaDB, "0-1-6"))
		_, err := m.Intercept(t.Context(), ddl)
		require.NoError(t, err)
		if !tt.redo {
			// Past the high set, but a table statement never carries
			// the rows: the next transaction does.
			require.True(t, m.inFlight(w))
			pos := gtxn("", "0-1-6")
			_, err := m.Intercept(t.Context(), pos)
			require.NoError(t, err)
			require.Equal(t, []string{"a/1"}, readKeys(t, pos))
		}
		o := <-w.result
		require.Equal(t, tt.redo, o.redo != "", "DDL %s: %+v", tt.gtid, o)
	}
}

// TestGTIDWindowWithoutGTIDs: a stream whose transactions carry no GTID
// set cannot close a GTID window: the chunk fails with ErrNoGTIDs rather
// than waiting forever.
func TestGTIDWindowWithoutGTIDs(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	w := m.expectGTID("run", 1, p, change.MySQL)
	m.setLow(w, mustSet(t, change.MySQL, ""))
	m.deliver(w, []change.Row{person("a", 1)}, checkpoint.Cursor{})
	m.setHigh(w, mustSet(t, change.MySQL, uuidA+":1-3"))
	_, err = m.Intercept(t.Context(), gtxn("", "", ins(other, person("x", 1))))
	require.NoError(t, err)
	o := <-w.result
	require.ErrorIs(t, o.err, ErrNoGTIDs)
	require.ErrorContains(t, o.err, "the stream of source s carries no GTID set")
	require.False(t, m.inFlight(w))
}
