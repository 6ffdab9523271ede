package admin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

func TestResyncOptionsPickOneSelection(t *testing.T) {
	tests := []struct {
		opts ResyncOptions
		want string
	}{
		{ResyncOptions{Failed: true}, ""},
		{ResyncOptions{Ranges: []uint64{1, 2}}, ""},
		{ResyncOptions{Mapping: "global.t", Where: "id > 1"}, ""},
		{ResyncOptions{Mapping: "global.t", KeysFile: "keys.tsv"}, ""},
		{ResyncOptions{}, "give --failed, --range ID, --mapping with --where, or --keys with --mapping: one of them"},
		{ResyncOptions{Failed: true, Ranges: []uint64{1}}, "give --failed, --range ID"},
		{ResyncOptions{Where: "id > 1"}, "--where and --keys need --mapping"},
		{ResyncOptions{KeysFile: "k"}, "--where and --keys need --mapping"},
		{ResyncOptions{Mapping: "global.t", Ranges: []uint64{1}}, "--mapping goes with --where or --keys"},
		{ResyncOptions{Mapping: "global.t", Where: "id > 1; DROP TABLE t"}, "holds a ';'"},
	}
	for _, tt := range tests {
		err := tt.opts.check()
		if tt.want == "" {
			require.NoError(t, err, "%+v", tt.opts)
			continue
		}
		require.ErrorContains(t, err, tt.want, "%+v", tt.opts)
	}
}

// A resync asks the running service; without http.listen it says so.
func TestResyncNeedsTheService(t *testing.T) {
	err := Resync(t.Context(), &config.Config{}, ResyncOptions{Failed: true}, nil, nil)
	require.ErrorContains(t, err, "http.listen is empty: tributary resync asks the running service")
}

// Failed changes become one range of target keys per mapped target, each
// key once; rejects and tables no mapping writes are left out.
func TestFailedChangesBecomeRanges(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	require.NoError(t, os.WriteFile(file, []byte("target: global.t\nkey: [id, region]\nsources:\n  - source: a\n    table: app.t\n    all_columns: true\n"), 0o600))
	set, err := mapping.Load([]string{file}, []string{"a"})
	require.NoError(t, err)
	fc := func(id uint64, target, op string, key ...change.Value) change.FailedChange {
		return change.FailedChange{ID: id, Target: target, Op: op, Key: key}
	}
	items := failedItems([]change.FailedChange{
		fc(1, "global.t", "upsert", int64(7), "eu"),
		fc(2, "global.t", "delete", int64(8), "us"),
		fc(3, "global.t", "upsert", int64(7), "eu"),
		fc(4, "global.t", "reject", int64(9), "eu"),
		fc(5, "global.other", "upsert", int64(1), "eu"),
	}, set)
	require.Len(t, items, 1)
	require.Equal(t, []uint64{1, 2, 3}, items[0].failed)
	require.Equal(t, checkpoint.Range{Mapping: "global.t", Origin: checkpoint.RangeFailed, Keys: [][]string{{"7", "eu"}, {"8", "us"}},
		Reason: "failed changes 1, 2, 3"}, items[0].rg)
	require.True(t, sameRange(checkpoint.Range{ID: 4, Mapping: "global.t", Origin: checkpoint.RangeFailed,
		Keys: [][]string{{"7", "eu"}, {"8", "us"}}}, items[0].rg))
	require.False(t, sameRange(checkpoint.Range{ID: 4, Mapping: "global.t", Origin: checkpoint.RangeFailed,
		Keys: [][]string{{"7", "eu"}}}, items[0].rg))
}
