package admin

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// storeConfig is a configuration whose Pebble store is in dir.
func storeConfig(dir string) *config.Config {
	return &config.Config{Pebble: config.Pebble{Dir: dir}}
}

func TestStoreCommandsReadAStoppedService(t *testing.T) {
	dir := t.TempDir()
	store, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, store.SavePositions(map[string]change.Position{
		"beta":  {Flavor: change.MySQL, GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", ServerUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562"},
		"alpha": {Flavor: change.MariaDB, File: "mysql-bin.000003", Pos: 1234, ServerID: 7},
	}))
	_, err = store.RecordFailed(change.FailedChange{
		Source: "alpha", Position: change.Position{File: "mysql-bin.000003", Pos: 900}, Target: "global.t", Op: "upsert",
		Key: []change.Value{int64(1)}, Columns: []string{"id", "amount"}, Values: []change.Value{int64(1), change.Decimal("1.50")},
		Error: "Error 1644 (45000): refused 1.50", Summary: "error 1644 (45000): message withheld",
		At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	require.NoError(t, err)
	require.NoError(t, store.Close())
	cfg := storeConfig(dir)

	var out bytes.Buffer
	require.NoError(t, ShowCheckpoints(cfg, &out))
	require.Equal(t, ""+
		"SOURCE  FLAVOR   GTID SET                                  FILE              POS   SERVER\n"+
		"alpha   mariadb  -                                         mysql-bin.000003  1234  server_id=7\n"+
		"beta    mysql    3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5  -                 0     3e11fa47-71ca-11e1-9e33-c80aa9429562\n",
		out.String())

	out.Reset()
	require.NoError(t, ListFailed(t.Context(), cfg, &out))
	require.Equal(t, ""+
		"ID  AT                    SOURCE  POSITION              TARGET    OP      ERROR\n"+
		"1   2026-01-02T03:04:05Z  alpha   mysql-bin.000003:900  global.t  upsert  error 1644 (45000): message withheld\n"+
		"1 failed change\n",
		out.String())

	out.Reset()
	require.NoError(t, ShowFailed(t.Context(), cfg, 1, &out))
	require.Contains(t, out.String(), `"amount": "1.50"`)
	require.Contains(t, out.String(), `"target": "global.t"`)
	require.Contains(t, out.String(), `"error": "Error 1644 (45000): refused 1.50"`)

	err = ShowFailed(t.Context(), cfg, 99, &out)
	require.EqualError(t, err, "no failed change with id 99 (tributary failed list shows the recorded ones)")
}

func TestStoreCommandsRefuseARunningService(t *testing.T) {
	dir := t.TempDir()
	store, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	defer store.Close()
	err = ShowCheckpoints(storeConfig(dir), &bytes.Buffer{})
	require.ErrorContains(t, err, "the checkpoint store is in use by another process: "+dir)
	require.ErrorContains(t, err, "stop the running service first")
	require.ErrorIs(t, err, checkpoint.ErrLocked)
}

func TestCheckMappings(t *testing.T) {
	err := CheckMappings(nil, nil, &bytes.Buffer{})
	require.EqualError(t, err, "no mapping files given and the configuration names none")

	file := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`target: global.a
key: [id]
sources:
  - {source: alpha, table: shop.a, columns: {id: id}}
`), 0o600))
	var out bytes.Buffer
	require.NoError(t, CheckMappings(nil, []string{file}, &out))
	require.Equal(t, "1 target table mapped: ok\n", out.String())

	cfg := &config.Config{Sources: []source.Options{{Name: "beta"}}, Mappings: []string{file}}
	err = CheckMappings(cfg, nil, &bytes.Buffer{})
	require.ErrorContains(t, err, `sources[0].source: "alpha" matches no configured source`)
}

// status reads the store of a stopped service even when the configuration
// names an HTTP address, which then answers nothing.
func TestStatusCheckpointsOfAStoppedServiceWithHTTP(t *testing.T) {
	dir := t.TempDir()
	store, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	want := map[string]change.Position{"alpha": {Flavor: change.MariaDB, GTIDSet: "0-1-5"}}
	require.NoError(t, store.SavePositions(want))
	require.NoError(t, store.SaveCursors([]checkpoint.Cursor{
		{Source: "alpha", Schema: "s", Table: "t", Key: []string{"id"}, Chunks: 2, Rows: 1500},
	}))
	require.NoError(t, store.Close())

	cfg := storeConfig(dir)
	cfg.HTTP.Listen = testenv.FreeAddr(t)
	got, fills, err := checkpoints(t.Context(), cfg)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, map[string][]backfill.TableStatus{"alpha": {{Table: "s.t", Key: []string{"id"}, Chunks: 2, Rows: 1500, CheckpointChunks: 2, CheckpointRows: 1500}}}, fills,
		"a backfill under way is read from the store too")

	held, err := checkpoint.Open(dir, nil)
	require.NoError(t, err)
	defer held.Close()
	_, _, err = checkpoints(t.Context(), cfg)
	require.ErrorContains(t, err, "asking tributary at "+cfg.HTTP.Listen, "a running service that does not answer says so")
}

// migrate never creates tables of its own: without a migrations folder in
// the configuration it refuses before connecting.
func TestMigrateNeedsTheTargetsMigrations(t *testing.T) {
	cfg := storeConfig(t.TempDir())
	err := Migrate(t.Context(), cfg, false, nil, io.Discard)
	require.ErrorContains(t, err, "the configuration names no migrations folder")
}
