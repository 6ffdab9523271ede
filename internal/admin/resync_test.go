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
		Reason: "failed changes 1-3"}, items[0].rg)
	require.True(t, sameRange(checkpoint.Range{ID: 4, Mapping: "global.t", Origin: checkpoint.RangeFailed,
		Keys: [][]string{{"7", "eu"}, {"8", "us"}}}, items[0].rg))
	require.False(t, sameRange(checkpoint.Range{ID: 4, Mapping: "global.t", Origin: checkpoint.RangeFailed,
		Keys: [][]string{{"7", "eu"}}}, items[0].rg))
	require.True(t, subsetKeys([][]string{{"8", "us"}}, items[0].rg.Keys))
	require.False(t, subsetKeys([][]string{{"8", "us"}, {"9", "eu"}}, items[0].rg.Keys))
	require.Equal(t, "1-3, 7, 9-10", idRuns([]uint64{9, 1, 2, 3, 7, 10}))
}

// A predicate is translated to the target's columns through each driving
// entry that copies its columns verbatim; an entry that computes a named
// column or the target key, is not.
func TestTranslateWhere(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`target: global.m
key: [member_id]
sources:
  - source: a
    table: app.users
    driving: true
    owns: "member_id < 1000"
    columns: {member_id: id, display_name: name, email: "LOWER(email)"}
  - source: b
    table: app.users
    driving: true
    owns: "member_id >= 1000"
    columns: {member_id: "id + 1000", display_name: name}
  - source: c
    table: app.people
    driving: true
    owns: "member_id >= 5000"
    columns: {member_id: pid, display_name: name}
`), 0o600))
	names := []string{"a", "b", "c"}
	set, err := mapping.Load([]string{file}, names)
	require.NoError(t, err)
	type got struct {
		entry      int
		where, why string
	}
	run := func(rg checkpoint.Range) []got {
		rg.Mapping = "global.m"
		var out []got
		for _, o := range translateWhere(set, rg) {
			out = append(out, got{o.entry, o.where, o.why})
		}
		return out
	}
	all := run(checkpoint.Range{Where: "id BETWEEN 1 AND 9 AND name LIKE 'id%'"})
	require.Len(t, all, 3)
	require.Equal(t, got{1, "`member_id` BETWEEN 1 AND 9 AND `display_name` LIKE 'id%'", ""}, all[0])
	require.Equal(t, 2, all[1].entry)
	require.Contains(t, all[1].why, "the entry computes the target key")
	require.Equal(t, 3, all[2].entry)
	require.Contains(t, all[2].why, "column id is not copied verbatim into global.m")

	computed := run(checkpoint.Range{Where: "email = 'x@example.com'", Source: "a"})
	require.Len(t, computed, 1, "the range's source reads entry 1 alone")
	require.Contains(t, computed[0].why, "column email is not copied verbatim")

	require.Equal(t, []got{{3, "`member_id` = 5001", ""}}, run(checkpoint.Range{Where: "pid = 5001", Source: "c"}))
}

// The target keys a translated predicate owns, every entry's, each once.
func TestOwnedKeys(t *testing.T) {
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}},
		ownedKeys([]ownedRows{{keys: [][]string{{"1"}, {"2"}}}, {keys: [][]string{{"2"}, {"3"}}}}))
}
