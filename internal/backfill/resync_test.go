package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// A resync window hands on its rows as a chunk does, then the deletes of
// the keys its read found absent, unless a change between the watermarks
// touched a key that folds like it (an insert racing with the read: the
// stream carries it, and a delete after it would lose it). It carries no
// cursor.
func TestResyncWindowDeletesUntouchedAbsentKeys(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	rows := []change.Row{person("a", 1), person("a", 2)}
	absent := [][]change.Value{{"gone", int64(3)}, {"Race", int64(4)}, {"kept", int64(5)}}
	tests := []struct {
		name        string
		inside      []*change.Txn
		wantReads   []string
		wantDeletes []string
	}{
		{name: "nothing touched", wantReads: []string{"a/1", "a/2"}, wantDeletes: []string{"gone", "Race", "kept"}},
		{name: "an insert of an absent key drops its delete",
			inside:    []*change.Txn{txnOf(ins(binlogPeople, person("Race", 4)))},
			wantReads: []string{"a/1", "a/2"}, wantDeletes: []string{"gone", "kept"}},
		{name: "another spelling a collation may match drops it too",
			inside:    []*change.Txn{txnOf(ins(binlogPeople, person("race ", 4)))},
			wantReads: []string{"a/1", "a/2"}, wantDeletes: []string{"gone", "kept"}},
		{name: "an update of a row read drops the row",
			inside:    []*change.Txn{txnOf(upd(binlogPeople, person("a", 2), change.Row{"a", int64(2), "y"}))},
			wantReads: []string{"a/1"}, wantDeletes: []string{"gone", "Race", "kept"}},
		{name: "other tables count not", inside: []*change.Txn{txnOf(ins(other, person("gone", 3)))},
			wantReads: []string{"a/1", "a/2"}, wantDeletes: []string{"gone", "Race", "kept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMerger("s", nil)
			w := m.expect("run", 3, p, nil)
			m.markResync(w)
			low := mark("run", 3, lowMark)
			_, err := m.Intercept(t.Context(), low)
			require.NoError(t, err)
			var dels []change.RowChange
			for _, k := range absent {
				before, omitted := p.deleteImage(k)
				require.Equal(t, []int{2}, omitted)
				dels = append(dels, change.RowChange{Table: people, Op: change.Delete, Before: before, BeforeOmitted: omitted})
			}
			m.deliverResync(w, rows, dels)
			for _, txn := range tt.inside {
				_, err := m.Intercept(t.Context(), txn)
				require.NoError(t, err)
			}
			high := mark("run", 3, highMark)
			cursors, err := m.Intercept(t.Context(), high)
			require.NoError(t, err)
			require.Empty(t, cursors, "a resync saves no cursor")
			got := <-w.result
			require.Empty(t, got.redo)
			require.Equal(t, tt.wantReads, readKeys(t, high))
			var deleted []string
			for _, c := range high.Changes {
				if c.Op == change.Delete {
					deleted = append(deleted, c.Before[0].(string))
					require.Nil(t, c.Before[2], "only the key is known")
				}
			}
			require.Equal(t, tt.wantDeletes, deleted)
			require.Equal(t, len(tt.wantReads), got.kept)
			require.Equal(t, len(tt.wantDeletes), got.deleted)
		})
	}
}

func TestResyncKeysSQL(t *testing.T) {
	one, err := newPlan(people, index{columns: []string{"n"}}, "")
	require.NoError(t, err)
	q, args := one.KeysSQL([][]change.Value{{int64(1)}, {int64(2)}})
	require.Equal(t, "SELECT `team`, `n`, `v` FROM `app`.`people` WHERE `n` IN (?, ?)", q)
	require.Equal(t, []any{int64(1), int64(2)}, args)

	two, err := newPlan(people, index{columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	q, args = two.KeysSQL([][]change.Value{{"a", int64(1)}, {"b", int64(2)}})
	require.Equal(t, "SELECT `team`, `n`, `v` FROM `app`.`people` WHERE (`team` = ? AND `n` = ?) OR (`team` = ? AND `n` = ?)", q)
	require.Equal(t, []any{"a", int64(1), "b", int64(2)}, args)
}

// A key counts as absent only when no row read folds like it: a
// case-insensitive source that found 'ABC' for 'abc' has the row.
func TestResyncAbsentFoldsKeys(t *testing.T) {
	p, err := newPlan(people, index{columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	batch := [][]change.Value{{"abc", int64(1)}, {"x", int64(2)}, {"x", int64(3)}}
	got := p.absent(batch, []change.Row{person("ABC ", 1), person("x", 2)})
	require.Equal(t, [][]change.Value{{"x", int64(3)}}, got)
}
