package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestOpenCreatesMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "state")
	s := openAt(t, dir)
	require.NoError(t, s.SavePositions(map[string]change.Position{"src": {File: "mysql-bin.000001", Pos: 4}}))
	require.DirExists(t, dir)
}

func TestSecondOpenFails(t *testing.T) {
	s, dir := openTemp(t)

	_, err := Open(dir, nil)
	require.ErrorIs(t, err, ErrLocked)
	require.Contains(t, err.Error(), dir)

	// The failed Open must not have disturbed the first store.
	require.NoError(t, s.SavePositions(map[string]change.Position{"src": {File: "f.1", Pos: 1}}))
	require.NoError(t, s.Close())

	again, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

// TestSecondProcessOpenFails opens, in a child process, a directory this
// process holds open: the file lock, not only Pebble's in-process table,
// must refuse it.
func TestSecondProcessOpenFails(t *testing.T) {
	if dir := os.Getenv("CHECKPOINT_TEST_OPEN_DIR"); dir != "" {
		_, err := Open(dir, nil)
		if errors.Is(err, ErrLocked) {
			fmt.Print("locked: ", err)
			return
		}
		t.Fatalf("Open in child: got %v, want ErrLocked", err)
	}
	_, dir := openTemp(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessOpenFails$")
	cmd.Env = append(os.Environ(), "CHECKPOINT_TEST_OPEN_DIR="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "locked: ")
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	positions := map[string]change.Position{
		"a": {Flavor: change.MariaDB, GTIDSet: "0-1-42", File: "mysql-bin.000007", Pos: 1234, ServerID: 1},
		"b": {Flavor: change.MySQL, GTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", File: "binlog.000002", Pos: 99, ServerUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562"},
	}
	table := sampleTable("v1")

	s, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, s.SavePositions(positions))
	require.NoError(t, s.PutSchema("a", 10, "db", "t", table))
	require.NoError(t, s.PutSchema("a", 20, "db", "t", nil))
	require.NoError(t, s.Close())

	s = openAt(t, dir)
	got, err := s.Positions()
	require.NoError(t, err)
	require.Equal(t, positions, got)
	versions, err := s.SchemaVersions("a", "db", "t")
	require.NoError(t, err)
	require.Equal(t, []SchemaVersion{{Ordinal: 10, Table: table}, {Ordinal: 20}}, versions)
}

func TestClosedStore(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	calls := map[string]func() error{
		"Position":       func() error { _, err := s.Position("a"); return err },
		"Positions":      func() error { _, err := s.Positions(); return err },
		"SavePositions":  func() error { return s.SavePositions(map[string]change.Position{"a": {}}) },
		"DeletePosition": func() error { return s.DeletePosition("a") },
		"PutSchema":      func() error { return s.PutSchema("a", 1, "db", "t", nil) },
		"Schema":         func() error { _, err := s.Schema("a", 1, "db", "t"); return err },
		"SchemaVersions": func() error { _, err := s.SchemaVersions("a", "db", "t"); return err },
		"SchemaTables":   func() error { _, err := s.SchemaTables("a"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), ErrClosed)
		})
	}
}

func TestConcurrentWritesAndClose(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 4*50)
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				err := s.SavePositions(map[string]change.Position{"src": {File: "f.1", Pos: uint32(w*100 + i)}})
				if err != nil && !errors.Is(err, ErrClosed) {
					errs <- err
				}
			}
		})
	}
	require.NoError(t, s.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestPebbleLogsGoToLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()

	s, err := Open(dir, &Options{Logger: logger})
	require.NoError(t, err)
	require.NoError(t, s.SavePositions(map[string]change.Position{"src": {File: "f.1", Pos: 1}}))
	require.NoError(t, s.Close())
	// Reopening replays the WAL, which Pebble reports through its logger.
	s, err = Open(dir, &Options{Logger: logger})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	require.Contains(t, buf.String(), "component=pebble")
}

// sampleTable returns a table description whose column type names carry tag.
func sampleTable(tag string) *change.Table {
	return &change.Table{
		Schema: "db",
		Name:   "t",
		Columns: []change.Column{
			{Name: "id", Kind: change.KindUint, Type: "bigint unsigned"},
			{Name: "name", Kind: change.KindString, Type: "varchar(255) " + tag, Charset: "utf8mb4", Nullable: true},
			{Name: "amount", Kind: change.KindDecimal, Type: "decimal(10,2)", Nullable: true},
		},
		PrimaryKey: []int{0},
	}
}
