package backfill

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// recheck runs one recheck window of people over the keys of last: the
// source holds rows, inside runs between the watermarks, and high is the
// high watermark's transaction as given.
func recheck(t *testing.T, last []change.Row, rows []change.Row, inside []*change.Txn, high *change.Txn) outcome {
	t.Helper()
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	imgs := make([]LastImage, len(last))
	for i, r := range last {
		imgs[i] = LastImage{Table: binlogPeople, Row: r}
	}
	keys, _, imgs, err := keysOf(p, imgs)
	require.NoError(t, err)
	m := NewMerger("s", nil)
	w := m.expect("run", 1, p, nil)
	_, err = m.Intercept(t.Context(), mark("run", 1, lowMark))
	require.NoError(t, err)
	m.deliverKeyed(w, rows, &keyedChunk{keys: keys, last: imgs, sinks: []string{"target"}})
	for _, txn := range inside {
		_, err = m.Intercept(t.Context(), txn)
		require.NoError(t, err)
	}
	cs, err := m.Intercept(t.Context(), high)
	require.NoError(t, err)
	require.Empty(t, cs, "a recheck carries no cursor")
	return <-w.result
}

// Every key of the window comes back addressed to the named sinks: the
// rows the source has as reads, the others as deletes of their last
// image, and those the stream touched between the watermarks not at all.
func TestRecheckReadsDeletesAndLeavesTouchedKeys(t *testing.T) {
	last := []change.Row{person("a", 1), person("a", 2), {"a", int64(1), "older"}, person("b", 3), person("c", 4)}
	rows := []change.Row{{"a", int64(1), "now"}, person("b", 3)}
	high := mark("run", 1, highMark)
	o := recheck(t, last, rows, []*change.Txn{txnOf(upd(binlogPeople, person("b", 3), person("b", 3)))}, high)
	require.Empty(t, o.redo)
	require.Equal(t, 1, o.kept)
	require.Equal(t, 2, o.deleted)
	require.Equal(t, 1, o.dropped)
	require.Equal(t, []string{"target"}, high.Sinks)
	var got []string
	for _, c := range high.Changes {
		img := c.Image()
		got = append(got, c.Op.String()+" "+img[0].(string)+"/"+img[2].(string))
	}
	require.Equal(t, []string{"read a/now", "delete a/x", "delete c/x"}, got)
}

// A high watermark that shares its transaction with other changes reads
// the chunk again: the other sinks would lose those changes.
func TestRecheckInSharedTransactionRedoes(t *testing.T) {
	high := mark("run", 1, highMark)
	high.Changes = append(high.Changes, ins(other, person("x", 1)))
	o := recheck(t, []change.Row{person("a", 1)}, nil, nil, high)
	require.Contains(t, o.redo, "shared its transaction")
	require.Nil(t, high.Sinks)
	require.Len(t, high.Changes, 1)
}

func TestKeysSQL(t *testing.T) {
	p, err := newPlan(people, index{name: "PRIMARY", columns: []string{"team", "n"}}, "")
	require.NoError(t, err)
	q, args := p.KeysSQL([][]change.Value{{"a", int64(1)}, {"b", int64(2)}})
	require.Equal(t, "SELECT `team`, `n`, `v` FROM `app`.`people` WHERE (`team` = ? AND `n` = ?) OR (`team` = ? AND `n` = ?)", q)
	require.Equal(t, []any{"a", int64(1), "b", int64(2)}, args)
	one, err := newPlan(people, index{name: "n", columns: []string{"n"}}, "")
	require.NoError(t, err)
	q, args = one.KeysSQL([][]change.Value{{int64(1)}, {int64(2)}})
	require.Equal(t, "SELECT `team`, `n`, `v` FROM `app`.`people` WHERE `n` IN (?, ?)", q)
	require.Equal(t, []any{int64(1), int64(2)}, args)
}
