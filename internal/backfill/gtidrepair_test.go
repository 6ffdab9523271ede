package backfill

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// A resync window bounded by GTID sets: a racing insert of an absent key
// that comes through before the window is marked a resync still drops
// that key's delete (the window records folded keys from its
// expectation on), and rows and deletes ride the closing transaction.
func TestGTIDResyncWindow(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	_, err = m.Intercept(t.Context(), gtxn("0-1-9", "0-1-9"))
	require.NoError(t, err)
	w := m.expectGTID("run", 1, p, change.MariaDB)
	_, err = m.Intercept(t.Context(), gtxn("0-1-10", "0-1-10", ins(binlogPeople, person("Race", 4))))
	require.NoError(t, err)
	m.markResync(w)
	m.setLow(w, mustSet(t, change.MariaDB, "0-1-9"))
	var dels []change.RowChange
	for _, k := range [][]change.Value{{"gone", int64(3)}, {"race", int64(4)}} {
		before, omitted := p.deleteImage(k)
		dels = append(dels, change.RowChange{Table: people, Op: change.Delete, Before: before, BeforeOmitted: omitted})
	}
	m.deliverResync(w, []change.Row{person("a", 1), person("a", 2)}, dels)
	m.setHigh(w, mustSet(t, change.MariaDB, "0-1-11"))
	touch := gtxn("0-1-11", "0-1-11", upd(binlogPeople, person("a", 2), person("a", 2)))
	cursors, err := m.Intercept(t.Context(), touch)
	require.NoError(t, err)
	require.Empty(t, cursors, "a resync saves no cursor")
	o := <-w.result
	require.Empty(t, o.redo)
	require.Equal(t, 1, o.kept)
	require.Equal(t, 1, o.dropped)
	require.Equal(t, 1, o.deleted)
	var got []string
	for _, c := range touch.Changes {
		got = append(got, c.Op.String()+" "+c.Image()[0].(string))
	}
	require.Equal(t, []string{"update a", "read a", "delete gone"}, got)
}

// A recheck window bounded by GTID sets addresses the transaction that
// carries its rows to its sinks alone, so it waits past the high set for
// one that carries nothing else; the keys changed until then are left to
// the stream.
func TestGTIDRecheckWindowWaitsForAnEmptyTransaction(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	imgs := []LastImage{{Table: binlogPeople, Row: person("a", 1)}, {Table: binlogPeople, Row: person("b", 2)},
		{Table: binlogPeople, Row: person("c", 3)}}
	keys, _, imgs, err := keysOf(p, imgs)
	require.NoError(t, err)
	m := NewMerger("s", nil)
	_, err = m.Intercept(t.Context(), gtxn("0-1-9", "0-1-9"))
	require.NoError(t, err)
	w := m.expectGTID("run", 1, p, change.MariaDB)
	m.setLow(w, mustSet(t, change.MariaDB, "0-1-9"))
	m.deliverKeyed(w, []change.Row{person("a", 1), person("b", 2)}, &keyedChunk{keys: keys, last: imgs, sinks: []string{"target"}})
	m.setHigh(w, mustSet(t, change.MariaDB, "0-1-9"))
	busy := gtxn("0-1-10", "0-1-10", upd(binlogPeople, person("b", 2), person("b", 2)))
	_, err = m.Intercept(t.Context(), busy)
	require.NoError(t, err)
	require.Len(t, busy.Changes, 1)
	require.Nil(t, busy.Sinks, "a transaction with changes of its own goes to every sink")
	require.True(t, m.inFlight(w))
	pos := gtxn("", "0-1-10")
	cursors, err := m.Intercept(t.Context(), pos)
	require.NoError(t, err)
	require.Empty(t, cursors)
	o := <-w.result
	require.Empty(t, o.redo)
	require.Equal(t, outcome{kept: 1, deleted: 1, dropped: 1}, o)
	require.Equal(t, []string{"target"}, pos.Sinks)
	var got []string
	for _, c := range pos.Changes {
		got = append(got, c.Op.String()+" "+c.Image()[0].(string))
	}
	require.Equal(t, []string{"read a", "delete c"}, got)
}

// With GTID watermarks the source has one window in flight: a second
// turn waits for the first to be released, and a cancelled wait gives up.
func TestTakeTurn(t *testing.T) {
	b, err := New(Options{Source: "s", DSN: "u:p@tcp(127.0.0.1:1)/", Watermarks: WatermarksGTID})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	release, err := b.takeTurn(t.Context())
	require.NoError(t, err)
	short, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = b.takeTurn(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	got := make(chan func(), 1)
	go func() {
		r, err := b.takeTurn(t.Context())
		if err == nil {
			got <- r
		}
	}()
	select {
	case <-got:
		t.Fatal("a second turn was taken while the first was held")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	release() // a second release is a no-op
	select {
	case r := <-got:
		r()
	case <-time.After(5 * time.Second):
		t.Fatal("the turn was not handed on")
	}

	table, err := New(Options{Source: "s", DSN: "u:p@tcp(127.0.0.1:1)/"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, table.Close()) })
	r1, err := table.takeTurn(t.Context())
	require.NoError(t, err)
	r2, err := table.takeTurn(t.Context())
	require.NoError(t, err, "watermark rows share the Merger: no turns")
	r1()
	r2()
}
