package replicator

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// readOnly fails, while on, every operation that would add, rename or
// remove a file, as a folder made read-only does: files already open
// still take writes. Tests run as root, whom file modes do not stop, so
// the fault is injected beneath the store.
type readOnly struct{ on atomic.Bool }

func (r *readOnly) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpCreate, errorfs.OpReuseForWrite, errorfs.OpLink, errorfs.OpRename, errorfs.OpRemove:
		if r.on.Load() {
			return syscall.EROFS
		}
	}
	return nil
}

func (r *readOnly) String() string { return "read-only" }

// A Pebble folder that stops taking writes stops the service with an
// error naming it, at its next checkpoint, instead of spinning on Pebble's
// retries or waiting forever for a flush.
func TestServiceStopsOnUnwritableStore(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)")
	dir := t.TempDir()
	pebbleDir, out := filepath.Join(dir, "pebble"), filepath.Join(dir, "changes.jsonl")
	yaml := fmt.Sprintf("log:\n  format: text\npebble:\n  dir: %s\ncheckpoint:\n  interval: 50ms\nsources:\n"+
		"  - {name: alpha, host: 127.0.0.1, port: %d, user: root, server_id: 5001, start: current}\n"+
		"sinks:\n  - {name: out, type: jsonl, jsonl: {path: %s}}\n", pebbleDir, srv.Port, out)
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)

	fault := &readOnly{}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(t.Context(), cfg, Options{storeFS: errorfs.Wrap(vfs.Default, fault)}, slog.New(slog.DiscardHandler))
	}()
	// The service saves its start position before it streams: a row
	// inserted until one arrives is after it.
	require.Eventually(t, func() bool {
		srv.Exec(t, "INSERT INTO app.t SELECT COALESCE(MAX(id), 0) + 1 FROM app.t")
		data, _ := os.ReadFile(out)
		return len(data) > 0
	}, 30*time.Second, 100*time.Millisecond, "nothing streamed")

	fault.on.Store(true)
	srv.Exec(t, "INSERT INTO app.t VALUES (1000)")
	select {
	case err := <-errc:
		require.ErrorIs(t, err, checkpoint.ErrUnwritable)
		require.ErrorContains(t, err, pebbleDir)
		require.Equal(t, 1, strings.Count(err.Error(), "cannot be written"), "the error is said once: %v", err)
		t.Log(err)
	case <-time.After(10 * time.Second):
		t.Fatal("the service went on with a store it cannot write")
	}
}
