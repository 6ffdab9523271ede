package heartbeat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

var (
	beatTable = &change.Table{Schema: Schema, Name: Table,
		Columns: []change.Column{{Name: "id"}, {Name: "at_us"}}, PrimaryKey: []int{0}}
	dataTable = &change.Table{Schema: "shop", Name: "orders", Columns: []change.Column{{Name: "id"}}, PrimaryKey: []int{0}}
)

// byPos orders test positions by their offset alone.
func byPos(saved, end change.Position) (bool, error) { return saved.Pos >= end.Pos, nil }

func beatTxn(source, id string, pos uint32, at time.Time) *change.Txn {
	return &change.Txn{Source: source, Last: true, End: change.Position{File: "b.1", Pos: pos},
		Changes: []change.RowChange{{Table: beatTable, Op: change.Update,
			Before: change.Row{id, at.Add(-time.Second).UnixMicro()}, After: change.Row{id, at.UnixMicro()}}}}
}

func TestBeatsLeaveTheStreamAndCountOnceDurable(t *testing.T) {
	start := time.Now()
	tr := NewTracker([]string{"a"}, byPos)
	strip := tr.Intercept("a")

	beat := start.Add(-200 * time.Millisecond)
	txn := beatTxn("a", "a", 100, beat)
	_, err := strip(t.Context(), txn)
	require.NoError(t, err)
	require.Empty(t, txn.Changes, "a heartbeat row never reaches the mappings or the sinks")

	// Another deployment's beat on the same server is stripped, not counted.
	other := beatTxn("a", "elsewhere", 150, start.Add(time.Hour))
	_, err = strip(t.Context(), other)
	require.NoError(t, err)
	require.Empty(t, other.Changes)

	mixed := &change.Txn{Source: "a", Last: true, End: change.Position{File: "b.1", Pos: 180},
		Changes: []change.RowChange{{Table: dataTable, Op: change.Insert, After: change.Row{int64(1)}}}}
	_, err = strip(t.Context(), mixed)
	require.NoError(t, err)
	require.Len(t, mixed.Changes, 1, "data rows stay")

	require.GreaterOrEqual(t, tr.Lags()["a"], 0.0)
	before := tr.Lags()["a"]
	tr.Saved(map[string]change.Position{"a": {File: "b.1", Pos: 99}})
	require.GreaterOrEqual(t, tr.Lags()["a"], before, "a checkpoint short of the beat changes nothing")

	time.Sleep(10 * time.Millisecond)
	tr.Saved(map[string]change.Position{"a": {File: "b.1", Pos: 200}})
	lag := tr.Lags()["a"]
	require.InDelta(t, time.Since(beat).Seconds(), lag, 0.05, "the lag counts from the durable beat's write")
}

func TestOnlySourcesWithAWriterHaveALag(t *testing.T) {
	tr := NewTracker([]string{"a"}, byPos)
	txn := beatTxn("b", "b", 10, time.Now())
	_, err := tr.Intercept("b")(t.Context(), txn)
	require.NoError(t, err)
	require.Empty(t, txn.Changes)
	tr.Saved(map[string]change.Position{"b": {File: "b.1", Pos: 10}})
	require.NotContains(t, tr.Lags(), "b")
	require.Contains(t, tr.Lags(), "a")
}
