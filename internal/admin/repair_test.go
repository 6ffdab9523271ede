package admin

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// repairConfig is a configuration with one mapping, tgt.users keyed by
// id, read from source alpha, and its store in a fresh directory.
func repairConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "users.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`target: tgt.users
key: [id]
sources:
  - {source: alpha, table: shop.users, columns: {id: id, name: name}}
`), 0o600))
	return &config.Config{Pebble: config.Pebble{Dir: filepath.Join(dir, "store")},
		Sources: []source.Options{{Name: "alpha"}}, Mappings: []string{file}}
}

func TestRangesOffline(t *testing.T) {
	cfg := repairConfig(t)
	ctx := t.Context()
	var out bytes.Buffer
	require.NoError(t, AddRange(ctx, cfg, RangeOptions{Mapping: "tgt.users", Where: "id > 5", Reason: "widened"}, &out))
	require.Equal(t, "added range 1: tgt.users where id > 5\n", out.String())

	keys := filepath.Join(t.TempDir(), "keys.tsv")
	require.NoError(t, os.WriteFile(keys, []byte("# ids to repair\n7\n\n 8 \n"), 0o600))
	out.Reset()
	require.NoError(t, AddRange(ctx, cfg, RangeOptions{Mapping: cfg.Mappings[0], Source: "alpha", KeysFile: keys}, &out))
	require.Equal(t, "added range 2: tgt.users 2 keys\n", out.String(), "a mapping file is stored as its target")

	for _, c := range []struct {
		name string
		opts RangeOptions
		want string
	}{
		{"unknown mapping", RangeOptions{Mapping: "tgt.nope", Where: "id > 1"},
			`--mapping "tgt.nope" is neither a loaded mapping file nor a target table of one (loaded: tgt.users)`},
		{"unknown source", RangeOptions{Mapping: "tgt.users", Source: "beta", Where: "id > 1"},
			`--source "beta" is not a configured source (configured: alpha)`},
		{"bad predicate", RangeOptions{Mapping: "tgt.users", Where: "id > 1; DROP TABLE x"}, "holds a ';'"},
		{"both", RangeOptions{Mapping: "tgt.users", Where: "id > 1", KeysFile: keys}, "give --where or --keys, one of them"},
		{"no mapping", RangeOptions{Where: "id > 1"}, "--mapping is required"},
		{"missing keys file", RangeOptions{Mapping: "tgt.users", KeysFile: keys + ".gone"}, "reading --keys: open " + keys + ".gone"},
	} {
		err := AddRange(ctx, cfg, c.opts, &out)
		require.ErrorContains(t, err, c.want, c.name)
	}
	ragged := filepath.Join(t.TempDir(), "ragged.csv")
	require.NoError(t, os.WriteFile(ragged, []byte("1,a\n2,b\n\n3\n"), 0o600))
	_, err := ReadKeysFile(ragged)
	require.EqualError(t, err, ragged+":4: 1 values, and the key on line 1 has 2 (one key per line, its values separated by tabs or commas)")
	err = AddRange(ctx, cfg, RangeOptions{Mapping: "tgt.users", KeysFile: ragged[:len(ragged)-4] + ".csv"}, &out)
	require.Error(t, err)
	wide := filepath.Join(t.TempDir(), "wide.tsv")
	require.NoError(t, os.WriteFile(wide, []byte("1\ta\n"), 0o600))
	err = AddRange(ctx, cfg, RangeOptions{Mapping: "tgt.users", KeysFile: wide}, &out)
	require.EqualError(t, err, "the keys have 2 values each, and the key of tgt.users has 1 columns (id)")
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("# nothing\n"), 0o600))
	err = AddRange(ctx, cfg, RangeOptions{Mapping: "tgt.users", KeysFile: empty}, &out)
	require.ErrorContains(t, err, "holds no key")

	out.Reset()
	require.NoError(t, ListRanges(ctx, cfg, false, &out))
	require.Contains(t, out.String(), "ID  CREATED")
	require.Contains(t, out.String(), "tgt.users  -       where id > 5  operator  -         widened")
	require.Contains(t, out.String(), "tgt.users  alpha   2 keys        operator  -         -")
	require.Contains(t, out.String(), "2 open ranges\n")

	out.Reset()
	require.NoError(t, ShowRange(ctx, cfg, 2, &out))
	require.Contains(t, out.String(), `"source": "alpha"`)
	require.Contains(t, out.String(), "\"keys\": [\n    [\n      \"7\"\n    ],")
	require.EqualError(t, ShowRange(ctx, cfg, 9, &out), "no range with id 9 (tributary ranges list --all shows them)")

	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	require.NoError(t, store.ResolveRange(1, time.Time{}))
	require.NoError(t, store.Close())
	out.Reset()
	require.NoError(t, ListRanges(ctx, cfg, false, &out))
	require.Contains(t, out.String(), "1 open range\n")
	out.Reset()
	require.NoError(t, ListRanges(ctx, cfg, true, &out))
	require.Contains(t, out.String(), "2 ranges\n")

	err = ClearRanges(ctx, cfg, RangeSelection{IDs: []uint64{2, 5}}, &out)
	require.ErrorContains(t, err, "range 5: not in the checkpoint store")
	out.Reset()
	require.NoError(t, ClearRanges(ctx, cfg, RangeSelection{Resolved: true}, &out))
	require.Equal(t, "cleared 1 range (1)\n", out.String())
	out.Reset()
	require.NoError(t, ClearRanges(ctx, cfg, RangeSelection{All: true}, &out))
	require.Equal(t, "cleared 1 range (2)\n", out.String())
}

func TestFailedOffline(t *testing.T) {
	cfg := repairConfig(t)
	ctx := t.Context()
	tg := testenv.StartT(t, testenv.Options{})
	tg.Exec(t, "CREATE DATABASE tgt", "CREATE TABLE tgt.users (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL)",
		"INSERT INTO tgt.users VALUES (2, 'new')")
	cfg.Sinks = []config.Sink{{Name: "target", Type: config.SinkMySQL,
		MySQL: &mysqlsink.Options{DataSourceName: tg.DSN("root", "", "tgt"), OnError: mysqlsink.OnErrorRecord}}}
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	record := func(id int64, name string, op string) {
		fc := change.FailedChange{Source: "alpha", Target: "tgt.users", Op: op, Key: []change.Value{id},
			Error: "Error 1406 (22001): Data too long", Summary: "error 1406 (22001): message withheld"}
		if op == "upsert" {
			fc.Columns, fc.Values = []string{"id", "name"}, []change.Value{id, name}
		}
		_, err := store.RecordFailed(fc)
		require.NoError(t, err)
	}
	record(1, "long-name", "upsert")
	record(2, "older-name", "upsert")
	record(3, "much-much-longer-name", "upsert")
	record(4, "", "update")
	record(5, "", "reject")
	require.NoError(t, store.MarkFailedSuperseded([]uint64{2}, time.Now()))
	require.NoError(t, store.Close())

	var out bytes.Buffer
	require.NoError(t, ListFailed(ctx, cfg, &out))
	require.Contains(t, out.String(), "(superseded) error 1406 (22001): message withheld")
	require.Contains(t, out.String(), "5 failed changes\n")

	tg.Exec(t, "ALTER TABLE tgt.users MODIFY name VARCHAR(12) NOT NULL")
	out.Reset()
	err = RetryFailed(ctx, cfg, FailedSelection{All: true}, testLogger(), &out)
	require.ErrorIs(t, err, ErrFound)
	require.EqualError(t, err, "4 failed changes kept (tributary failed show ID has the whole error)")
	require.Contains(t, out.String(), "1   applied, record deleted\n")
	require.Contains(t, out.String(), "2   kept, not applied: superseded")
	require.Contains(t, out.String(), "3   kept, fails again: error 1406 (22001): message withheld\n")
	require.Contains(t, out.String(), "4   kept, not applied: an update is recorded without the conditions")
	require.Contains(t, out.String(), "5   kept, not applied: reject operations were never sent to the target")
	require.Contains(t, out.String(), "1 applied, 4 kept\n")
	require.Equal(t, "1|long-name\n2|new\n", dumpUsers(t, tg))

	out.Reset()
	require.NoError(t, ShowFailed(ctx, cfg, 3, &out))
	require.Contains(t, out.String(), "Data too long for column 'name'", "the new error is kept whole")
	err = ShowFailed(ctx, cfg, 1, &out)
	require.EqualError(t, err, "no failed change with id 1 (tributary failed list shows the recorded ones)")

	err = ClearFailed(ctx, cfg, FailedSelection{IDs: []uint64{1}}, &out)
	require.EqualError(t, err, "no failed change with id 1 (tributary failed list shows the recorded ones)")
	out.Reset()
	require.NoError(t, ClearFailed(ctx, cfg, FailedSelection{IDs: []uint64{4, 5}}, &out))
	require.Equal(t, "cleared 2 failed changes (4, 5)\n", out.String())
	out.Reset()
	require.NoError(t, ClearFailed(ctx, cfg, FailedSelection{Target: "tgt.users"}, &out))
	require.Equal(t, "cleared 2 failed changes (2, 3)\n", out.String())
	out.Reset()
	require.NoError(t, RetryFailed(ctx, cfg, FailedSelection{All: true}, testLogger(), &out))
	require.Empty(t, out.String())
}

func dumpUsers(t *testing.T, tg *testenv.Server) string {
	t.Helper()
	rows, err := tg.DB(t, "tgt").Query("SELECT id, name FROM users ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var out bytes.Buffer
	for rows.Next() {
		var id int
		var name string
		require.NoError(t, rows.Scan(&id, &name))
		out.WriteString(fmtRow(id, name))
	}
	require.NoError(t, rows.Err())
	return out.String()
}

func fmtRow(id int, name string) string { return fmt.Sprintf("%d|%s\n", id, name) }

func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Without http.listen, a store held by the service is refused with a
// way out.
func TestRepairCommandsWithTheStoreHeld(t *testing.T) {
	cfg := repairConfig(t)
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	defer store.Close()
	err = ListFailed(t.Context(), cfg, &bytes.Buffer{})
	require.ErrorIs(t, err, checkpoint.ErrLocked)
	require.ErrorContains(t, err, "a running service answers these commands when http.listen is set, else stop it first")

	cfg.HTTP.Listen = testenv.FreeAddr(t)
	err = ListRanges(t.Context(), cfg, false, &bytes.Buffer{})
	require.ErrorIs(t, err, checkpoint.ErrLocked)
	require.ErrorContains(t, err, "no service answers at "+cfg.HTTP.Listen)
}

// verify --record turns each target's differences into a range of their
// keys, in the store when no service runs.
func TestVerifyRecordsDifferencesAsRanges(t *testing.T) {
	dir := t.TempDir()
	mappingFile := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(mappingFile, []byte("target: global.t\nkey: [id, code]\nsources:\n  - {source: a, table: app.t, columns: {id: id, code: code, v: v}}\n"), 0o600))
	cfg := storeConfig(dir)
	cfg.Mappings = []string{mappingFile}
	cfg.Sources = []source.Options{{Name: "a"}}
	rep := &verify.Report{Mappings: []*verify.MappingReport{
		{Target: "global.t", Missing: 1, Different: 1, Diffs: []verify.Difference{
			{Kind: verify.Missing, Key: []verify.Field{{Column: "id", Value: int64(7)}, {Column: "code", Value: "x"}}},
			{Kind: verify.Different, Key: []verify.Field{{Column: "id", Value: uint64(9)}, {Column: "code", Value: "y"}}, Columns: []string{"v"}},
		}},
		{Target: "global.clean"},
	}}
	var out bytes.Buffer
	require.NoError(t, recordDifferences(t.Context(), cfg, rep, &out, slog.New(slog.DiscardHandler)))
	require.Contains(t, out.String(), "recorded range 1: global.t")
	store, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	defer store.Close()
	ranges, err := store.Ranges()
	require.NoError(t, err)
	require.Len(t, ranges, 1)
	require.Equal(t, checkpoint.RangeVerify, ranges[0].Origin)
	require.Equal(t, "global.t", ranges[0].Mapping)
	require.Equal(t, [][]string{{"7", "x"}, {"9", "y"}}, ranges[0].Keys)
	require.Contains(t, ranges[0].Reason, "1 missing, 0 extra and 1 different")
}
