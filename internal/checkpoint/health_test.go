package checkpoint

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/internal/change"
)

// faultyFS fails the operations fail selects while it is on, and counts
// the failures. A real disk cannot be made full or read-only on demand
// here (tests run as root, whom file modes do not stop), so the faults
// are injected beneath Pebble.
type faultyFS struct {
	on       atomic.Bool
	failures atomic.Int64
	fail     func(op errorfs.Op) error
}

func (f *faultyFS) MaybeError(op errorfs.Op) error {
	if !f.on.Load() {
		return nil
	}
	err := f.fail(op)
	if err != nil {
		f.failures.Add(1)
	}
	return err
}

func (f *faultyFS) String() string { return "faultyFS" }

func (f *faultyFS) wrap() vfs.FS { return errorfs.Wrap(vfs.Default, f) }

// A store whose folder stops taking writes fails its next write at once,
// with an error naming the folder, and every write after it; Pebble's
// retries of a failed flush do not spin; and the store still closes.
func TestUnwritableStore(t *testing.T) {
	writes := func(kind errorfs.OpKind) bool {
		return kind.ReadOrWrite() == errorfs.OpIsWrite
	}
	tests := []struct {
		name string
		fail func(op errorfs.Op) error
		// flush asks Pebble for a flush after the fault starts, as a full
		// memtable would: the fault then shows in its goroutine first.
		flush bool
	}{
		{"read-only folder", func(op errorfs.Op) error {
			if op.Kind == errorfs.OpCreate || op.Kind == errorfs.OpReuseForWrite || op.Kind == errorfs.OpLink ||
				op.Kind == errorfs.OpRename || op.Kind == errorfs.OpRemove {
				return syscall.EROFS
			}
			return nil
		}, false},
		{"full disk", func(op errorfs.Op) error {
			if writes(op.Kind) {
				return syscall.ENOSPC
			}
			return nil
		}, false},
		{"log writes fail", func(op errorfs.Op) error {
			if strings.HasSuffix(op.Path, ".log") && writes(op.Kind) {
				return syscall.EIO
			}
			return nil
		}, false},
		{"flushes fail", func(op errorfs.Op) error {
			if strings.HasSuffix(op.Path, ".sst") && writes(op.Kind) {
				return syscall.ENOSPC
			}
			return nil
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fsys := &faultyFS{fail: tt.fail}
			s, err := Open(dir, &Options{FS: fsys.wrap(), Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			save := func(n int) error {
				return s.SavePositions(map[string]change.Position{"a": {Flavor: change.MariaDB, GTIDSet: fmt.Sprintf("0-1-%d", n)}})
			}
			require.NoError(t, save(1))
			fsys.on.Store(true)
			if tt.flush {
				_, err := s.db.AsyncFlush()
				require.NoError(t, err)
				require.Eventually(t, func() bool { return s.health.check() != nil }, 5*time.Second, time.Millisecond)
			}
			start := time.Now()
			err = save(2)
			require.ErrorIs(t, err, ErrUnwritable)
			require.ErrorContains(t, err, dir)
			require.Less(t, time.Since(start), time.Second)
			require.ErrorIs(t, save(3), ErrUnwritable, "a later write must fail too")

			before := fsys.failures.Load()
			time.Sleep(time.Second)
			require.Less(t, fsys.failures.Load()-before, int64(50), "Pebble retries a failed write in a busy loop")

			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatal("Close hangs on an unwritable store")
			}
		})
	}
}

// The write probe leaves no file behind, and a leftover one does not make
// an empty folder look like a lost store.
func TestWriteProbeLeavesNothing(t *testing.T) {
	s, dir := openTemp(t)
	require.NoError(t, s.SavePositions(map[string]change.Position{"a": {Flavor: change.MariaDB, GTIDSet: "0-1-1"}}))
	names, err := vfs.Default.List(dir)
	require.NoError(t, err)
	require.NotContains(t, names, probeName)

	empty := t.TempDir()
	f, err := vfs.Default.Create(vfs.Default.PathJoin(empty, probeName), vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	openAt(t, empty)
}

// Writes from many goroutines at once (the checkpoint loop, the sink
// workers' handed marks) each probe the folder without tripping over
// another's probe file.
func TestConcurrentWritesProbeApart(t *testing.T) {
	s, _ := openTemp(t)
	var g errgroup.Group
	for w := range 8 {
		g.Go(func() error {
			for i := range 50 {
				err := s.SavePositions(map[string]change.Position{
					fmt.Sprint("s", w): {Flavor: change.MariaDB, GTIDSet: fmt.Sprintf("0-1-%d", i)}})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	require.NoError(t, s.health.check())
}
