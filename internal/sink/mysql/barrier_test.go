package mysql

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

func TestBarrierSQL(t *testing.T) {
	tb := table("m`s", "id")
	tests := []struct {
		name    string
		op      change.TargetOp
		want    string
		args    []any
		chunked bool
	}{
		{"truncate", change.TargetOp{Target: tb, Kind: change.TruncateTarget},
			"DELETE FROM `tgt`.`m``s` LIMIT 10000", nil, true},
		{"clear to NULL", change.TargetOp{Target: tb, Kind: change.ClearColumns, Columns: []string{"bio", "locale"}, Values: []change.Value{nil, nil}},
			"UPDATE `tgt`.`m``s` SET `bio`=?,`locale`=? WHERE `bio` IS NOT NULL OR `locale` IS NOT NULL LIMIT 10000", []any{nil, nil}, true},
		{"clear to an empty array", change.TargetOp{Target: tb, Kind: change.ClearColumns, Columns: []string{"tags"}, Values: []change.Value{change.JSON("[]")}},
			"UPDATE `tgt`.`m``s` SET `tags`=?", []any{change.JSON("[]")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, args, chunked := barrierSQL(&tt.op)
			require.Equal(t, tt.want, q)
			require.Equal(t, tt.args, args)
			require.Equal(t, tt.chunked, chunked)
		})
	}
}

func TestCheckBarrierOps(t *testing.T) {
	tb := table("m", "id")
	require.NoError(t, checkOp(&change.TargetOp{Target: tb, Kind: change.TruncateTarget}))
	require.NoError(t, checkOp(&change.TargetOp{Target: tb, Kind: change.ClearColumns, Columns: []string{"a"}, Values: []change.Value{nil}}))
	require.ErrorContains(t, checkOp(&change.TargetOp{Target: tb, Kind: change.ClearColumns, Columns: []string{"a"}}),
		"clear on tgt.m has 1 columns and 0 values")
	require.ErrorContains(t, checkOp(&change.TargetOp{Target: tb, Kind: change.ClearColumns}), "0 columns")
	require.ErrorContains(t, checkOp(&change.TargetOp{Target: tb, Kind: change.ClearColumns + 1}), "unknown kind")
}

// TestBarriers runs truncates and clears between upserts spread over
// several workers: each applies after every operation before it and
// before every one after it, in chunks.
func TestBarriers(t *testing.T) {
	defer func(n int) { sweepChunk = n }(sweepChunk)
	sweepChunk = 7
	tg := startTarget(t,
		"CREATE TABLE tgt.members (id BIGINT PRIMARY KEY, email VARCHAR(64), bio VARCHAR(64), locale VARCHAR(8), tags JSON)")
	s := tg.sink(t, Options{Workers: 4})
	members := table("members", "id")
	cols := []string{"id", "email", "bio", "locale", "tags"}
	rows := func(from, to int) []change.TargetOp {
		var ops []change.TargetOp
		for id := from; id < to; id++ {
			ops = append(ops, upsert(members, cols, int64(id), fmt.Sprintf("u%d@x", id), "bio", "ja", change.JSON(`["a"]`)))
		}
		return ops
	}
	clear := change.TargetOp{Target: members, Kind: change.ClearColumns, Columns: []string{"bio", "locale"},
		Values: []change.Value{nil, nil}, Change: -1}
	emptyTags := change.TargetOp{Target: members, Kind: change.ClearColumns, Columns: []string{"tags"},
		Values: []change.Value{change.JSON("[]")}, Change: -1}
	truncate := change.TargetOp{Target: members, Kind: change.TruncateTarget, Change: -1}

	// 30 rows, a clear in their own transaction, then 2 more rows.
	applyAll(t, s, txn(1, rows(0, 30)...), txn(2, clear, emptyTags), txn(3, rows(30, 32)...))
	got := tg.dump(t, "SELECT COUNT(*), COUNT(bio), COUNT(locale), SUM(tags = JSON_ARRAY()), MAX(email) FROM tgt.members")
	require.Equal(t, []string{"32|2|2|30|u9@x"}, got, "the clear reached the 30 rows before it, not the 2 after")

	// A truncate between rows queued without a flush between them.
	ctx := context.Background()
	require.NoError(t, s.Apply(ctx, txn(4, rows(100, 140)...)))
	require.NoError(t, s.Apply(ctx, txn(5, truncate)))
	require.NoError(t, s.Apply(ctx, txn(6, rows(200, 203)...)))
	require.NoError(t, s.Flush(ctx))
	require.Equal(t, []string{"200", "201", "202"}, tg.dump(t, "SELECT id FROM tgt.members ORDER BY id"))

	// Replaying the truncate changes nothing more.
	applyAll(t, s, txn(5, truncate))
	require.Empty(t, tg.dump(t, "SELECT id FROM tgt.members"))
}

func TestBarrierFailureHalts(t *testing.T) {
	tg := startTarget(t)
	store, err := checkpoint.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	s := tg.sink(t, Options{OnError: OnErrorRecord, Failed: store})
	err = s.Apply(context.Background(), txn(1, change.TargetOp{Target: table("missing", "id"), Kind: change.TruncateTarget, Change: -1}))
	require.ErrorContains(t, err, "deleting every row of tgt.missing for a table statement of source src")
	require.ErrorIs(t, s.Flush(context.Background()), err, "the sink stays halted")
}
