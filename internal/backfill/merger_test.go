package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// people has a composite key of a string (case-insensitive on the server)
// and an integer.
var people = &change.Table{
	Schema: "app", Name: "people",
	Columns: []change.Column{
		{Name: "team", Kind: change.KindString, Type: "varchar(20)", Charset: "utf8mb4"},
		{Name: "n", Kind: change.KindInt, Type: "int"},
		{Name: "v", Kind: change.KindString, Type: "text", Charset: "utf8mb4"},
	},
	PrimaryKey: []int{0, 1},
}

// binlogPeople is the same table as the binlog describes it: another
// description, columns in the same order.
var binlogPeople = &change.Table{Schema: "app", Name: "people", Columns: people.Columns, PrimaryKey: []int{0, 1}}

var other = &change.Table{Schema: "app", Name: "other", Columns: people.Columns, PrimaryKey: []int{0, 1}}

var marks = &change.Table{
	Schema: WatermarkSchema, Name: WatermarkTable,
	Columns: []change.Column{
		{Name: "id", Kind: change.KindString}, {Name: "chunk", Kind: change.KindInt},
		{Name: "kind", Kind: change.KindEnum}, {Name: "at", Kind: change.KindTimestamp},
	},
	PrimaryKey: []int{0},
}

func person(team string, n int64) change.Row { return change.Row{team, n, "x"} }

func mark(id string, chunk int64, kind string) *change.Txn {
	return &change.Txn{Source: "s", Last: true, Changes: []change.RowChange{
		{Table: marks, Op: change.Update, Before: change.Row{id, chunk - 1, "high", change.Temporal("t")},
			After: change.Row{id, chunk, kind, change.Temporal("t")}},
	}}
}

func txnOf(changes ...change.RowChange) *change.Txn {
	return &change.Txn{Source: "s", Last: true, Changes: changes}
}

func ins(t *change.Table, r change.Row) change.RowChange {
	return change.RowChange{Table: t, Op: change.Insert, After: r}
}

func upd(t *change.Table, b, a change.Row) change.RowChange {
	return change.RowChange{Table: t, Op: change.Update, Before: b, After: a}
}

func del(t *change.Table, r change.Row) change.RowChange {
	return change.RowChange{Table: t, Op: change.Delete, Before: r}
}

// keysOf lists the "team/n" keys of the Read rows of txn.
func readKeys(t *testing.T, txn *change.Txn) []string {
	t.Helper()
	var out []string
	for _, c := range txn.Changes {
		if c.Op != change.Read {
			continue
		}
		require.Same(t, people, c.Table)
		require.Nil(t, c.Before)
		out = append(out, c.After[0].(string)+"/"+string(rune('0'+c.After[1].(int64))))
	}
	return out
}

func TestMergerDropsTouchedKeys(t *testing.T) {
	chunk := []change.Row{person("a", 1), person("a", 2), person("a", 3), person("abc", 4), person("b", 5)}
	all := []string{"a/1", "a/2", "a/3", "abc/4", "b/5"}
	tests := []struct {
		name string
		// before runs between the chunk's expectation and its low
		// watermark, inside between the watermarks.
		before, inside []*change.Txn
		want           []string
		wantRedo       string
	}{
		{name: "nothing touched", want: all},
		{name: "an update drops its row", inside: []*change.Txn{txnOf(upd(binlogPeople, person("a", 2), change.Row{"a", int64(2), "y"}))},
			want: []string{"a/1", "a/3", "abc/4", "b/5"}},
		{name: "a key change drops the old key", inside: []*change.Txn{txnOf(upd(binlogPeople, person("a", 3), person("z", 9)))},
			want: []string{"a/1", "a/2", "abc/4", "b/5"}},
		{name: "a key change drops the new key", inside: []*change.Txn{txnOf(upd(binlogPeople, person("z", 9), person("a", 1)))},
			want: []string{"a/2", "a/3", "abc/4", "b/5"}},
		{name: "a delete drops its row", inside: []*change.Txn{txnOf(del(binlogPeople, person("b", 5)))},
			want: []string{"a/1", "a/2", "a/3", "abc/4"}},
		{name: "an insert drops its row", inside: []*change.Txn{txnOf(ins(binlogPeople, person("a", 1)))},
			want: []string{"a/2", "a/3", "abc/4", "b/5"}},
		{name: "keys compare exactly: another spelling is another value", inside: []*change.Txn{txnOf(upd(binlogPeople, person("ABC", 4), person("ABC", 4)))},
			want: all},
		{name: "a case-only key change drops the spelling read", inside: []*change.Txn{txnOf(upd(binlogPeople, person("abc", 4), person("ABC", 4)))},
			want: []string{"a/1", "a/2", "a/3", "b/5"}},
		{name: "changes before the low watermark count not", before: []*change.Txn{txnOf(del(binlogPeople, person("a", 1)))},
			want: all},
		{name: "other tables count not", inside: []*change.Txn{txnOf(del(other, person("a", 1)))}, want: all},
		{name: "several changes in one transaction", inside: []*change.Txn{txnOf(
			ins(other, person("a", 2)), del(binlogPeople, person("a", 1)), ins(binlogPeople, person("b", 5)))},
			want: []string{"a/2", "a/3", "abc/4"}},
		{name: "stale and foreign watermarks are ignored", inside: []*change.Txn{mark("old-run", 7, highMark), mark("run", 6, highMark)},
			want: all},
		{name: "a DDL of the table redoes the chunk",
			inside:   []*change.Txn{{Source: "s", Last: true, DDL: []change.DDL{{Kind: change.DDLTruncate, Schema: "app", Table: "people"}}}},
			wantRedo: "a truncate of the table"},
		{name: "a rename onto the table redoes the chunk",
			inside: []*change.Txn{{Source: "s", Last: true, DDL: []change.DDL{{Kind: change.DDLRename, Schema: "app", Table: "x",
				NewSchema: "app", NewTable: "people"}}}},
			wantRedo: "a rename of the table"},
		{name: "any statement on the table redoes the chunk",
			inside:   []*change.Txn{{Source: "s", Last: true, Altered: []string{"app.people"}}},
			wantRedo: "changed the table's definition"},
		{name: "a statement on another table does not", inside: []*change.Txn{{Source: "s", Last: true, Altered: []string{"app.other"}}},
			want: all},
		{name: "a change without the key's columns redoes the chunk",
			inside:   []*change.Txn{txnOf(ins(&change.Table{Schema: "app", Name: "people", Columns: people.Columns[1:]}, change.Row{int64(1), "x"}))},
			wantRedo: "without the key's columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
			require.NoError(t, err)
			m := NewMerger("s", nil)
			w := m.expect("run", 7, p, nil)
			feed := func(txn *change.Txn) []checkpoint.Cursor {
				cs, err := m.Intercept(t.Context(), txn)
				require.NoError(t, err)
				return cs
			}
			for _, txn := range tt.before {
				require.Empty(t, feed(txn))
			}
			low := mark("run", 7, lowMark)
			require.Empty(t, feed(low))
			require.Empty(t, low.Changes, "the watermark is stripped")
			m.deliver(w, chunk, checkpoint.Cursor{Source: "s", Schema: "app", Table: "people", After: p.KeyOf(chunk[4]), Chunks: 3, Rows: 100})
			for _, txn := range tt.inside {
				require.Empty(t, feed(txn))
				for _, c := range txn.Changes {
					require.NotEqual(t, WatermarkTable, c.Table.Name)
				}
			}
			high := mark("run", 7, highMark)
			cursors := feed(high)
			got := <-w.result
			if tt.wantRedo != "" {
				require.Contains(t, got.redo, tt.wantRedo)
				require.Empty(t, cursors)
				require.Empty(t, high.Changes)
				return
			}
			require.Empty(t, got.redo)
			require.Equal(t, tt.want, readKeys(t, high))
			require.Len(t, high.Changes, len(tt.want), "only the reads are left")
			require.Equal(t, len(tt.want), got.kept)
			require.Equal(t, len(chunk)-len(tt.want), got.dropped)
			require.Len(t, cursors, 1)
			require.Equal(t, uint64(100+len(tt.want)), cursors[0].Rows)
			require.Equal(t, []change.Value{"b", int64(5)}, cursors[0].After)
			require.Equal(t, cursors[0], got.cursor)

			// The window is closed: later changes and watermarks pass.
			after := txnOf(del(binlogPeople, person("a", 1)))
			require.Empty(t, feed(after))
			require.Len(t, after.Changes, 1)
		})
	}
}

func TestMergerHighBeforeLowRedoes(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	w := m.expect("run", 1, p, nil)
	m.deliver(w, []change.Row{person("a", 1)}, checkpoint.Cursor{})
	_, err = m.Intercept(t.Context(), mark("run", 1, highMark))
	require.NoError(t, err)
	require.Contains(t, (<-w.result).redo, "before the low one")
}

func TestMergerCancelledWindowIgnoresItsWatermarks(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	w := m.expect("run", 1, p, nil)
	_, err = m.Intercept(t.Context(), mark("run", 1, lowMark))
	require.NoError(t, err)
	m.cancel(w)
	high := mark("run", 1, highMark)
	cs, err := m.Intercept(t.Context(), high)
	require.NoError(t, err)
	require.Empty(t, cs)
	require.Empty(t, high.Changes)
	select {
	case o := <-w.result:
		t.Fatalf("a cancelled window had an outcome: %+v", o)
	default:
	}
}

// The reads take the watermark's place among the transaction's changes,
// numbered from its first row.
func TestMergerInsertsReadsWhereTheWatermarkWas(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	w := m.expect("run", 1, p, nil)
	_, err = m.Intercept(t.Context(), mark("run", 1, lowMark))
	require.NoError(t, err)
	m.deliver(w, []change.Row{person("a", 1), person("a", 2)}, checkpoint.Cursor{})
	high := mark("run", 1, highMark)
	high.Changes = append([]change.RowChange{ins(other, person("x", 1))}, append(high.Changes, ins(other, person("y", 1)))...)
	_, err = m.Intercept(t.Context(), high)
	require.NoError(t, err)
	var got []string
	for _, c := range high.Changes {
		got = append(got, c.Op.String()+" "+c.Table.Name)
	}
	require.Equal(t, []string{"insert other", "read people", "read people", "insert other"}, got)
}

// Windows of two tables open at once, interleaved: each drops only the
// keys its own table's changes touched while it was open, and each high
// watermark returns its own chunk's cursor.
func TestMergerInterleavedWindows(t *testing.T) {
	pp, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	po, err := newPlan(other, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	m := NewMerger("s", nil)
	intercept := func(txn *change.Txn) []checkpoint.Cursor {
		t.Helper()
		cs, err := m.Intercept(t.Context(), txn)
		require.NoError(t, err)
		return cs
	}
	wp := m.expect("run", 1, pp, nil)
	wo := m.expect("run", 2, po, nil)
	intercept(mark("run", 1, lowMark))
	// a/1 of people changes while only people's window is open; b/1 of
	// other too, before other's window opens: neither drops other's.
	intercept(txnOf(upd(binlogPeople, person("a", 1), person("a", 1)), ins(other, person("b", 1))))
	intercept(mark("run", 2, lowMark))
	// a/2 of other changes while both are open: only other's drops it.
	intercept(txnOf(del(other, person("a", 2))))
	m.deliver(wp, []change.Row{person("a", 1), person("a", 2)}, checkpoint.Cursor{Table: "people", Chunks: 1})
	m.deliver(wo, []change.Row{person("a", 2), person("b", 1)}, checkpoint.Cursor{Table: "other", Chunks: 1})
	highP := mark("run", 1, highMark)
	cs := intercept(highP)
	require.Len(t, cs, 1)
	require.Equal(t, "people", cs[0].Table)
	require.Equal(t, []string{"a/2"}, readKeys(t, highP))
	// people's window is closed: a change of people's a/2 now is the
	// stream's own, and other's window still records other's keys.
	intercept(txnOf(upd(other, person("b", 1), person("b", 1))))
	highO := mark("run", 2, highMark)
	cs = intercept(highO)
	require.Len(t, cs, 1)
	require.Equal(t, "other", cs[0].Table)
	for _, c := range highO.Changes {
		t.Fatalf("other's chunk handed on %v: every row was touched", c.After)
	}
	require.Equal(t, 1, (<-wp.result).dropped)
	require.Equal(t, 2, (<-wo.result).dropped)
}

// A table's chunk read ahead, while the one before it waits for its high
// watermark, counts its rows on from that one's; and when that one must
// be read again, the chunk after it is void too, so no cursor passes it.
func TestMergerChunkReadAhead(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	run := func(t *testing.T, firstRedoes bool) ([]checkpoint.Cursor, outcome, outcome) {
		m := NewMerger("s", nil)
		var cursors []checkpoint.Cursor
		intercept := func(txn *change.Txn) {
			t.Helper()
			cs, err := m.Intercept(t.Context(), txn)
			require.NoError(t, err)
			cursors = append(cursors, cs...)
		}
		w1 := m.expect("run", 1, p, nil)
		if !firstRedoes { // a high watermark before its low one redoes
			intercept(mark("run", 1, lowMark))
		}
		m.deliver(w1, []change.Row{person("a", 1), person("a", 2)}, checkpoint.Cursor{Chunks: 4, Rows: 10})
		w2 := m.expect("run", 2, p, w1)
		intercept(mark("run", 1, highMark))
		intercept(mark("run", 2, lowMark))
		intercept(txnOf(upd(binlogPeople, person("b", 1), person("b", 1))))
		m.deliver(w2, []change.Row{person("b", 1), person("b", 2), person("b", 3)}, checkpoint.Cursor{Chunks: 5, Rows: 10})
		intercept(mark("run", 2, highMark))
		return cursors, <-w1.result, <-w2.result
	}
	t.Run("both merged", func(t *testing.T) {
		cursors, o1, o2 := run(t, false)
		require.Equal(t, uint64(12), o1.cursor.Rows)
		require.Equal(t, uint64(14), o2.cursor.Rows, "the second chunk's rows count on from the first's")
		require.Len(t, cursors, 2)
		require.Equal(t, uint64(5), cursors[1].Chunks)
	})
	t.Run("the first redoes", func(t *testing.T) {
		cursors, o1, o2 := run(t, true)
		require.NotEmpty(t, o1.redo)
		require.Contains(t, o2.redo, "an earlier chunk")
		require.Empty(t, cursors, "a cursor passed a chunk that was not merged")
	})
}
