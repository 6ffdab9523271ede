package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrUnwritable reports a store whose files can no longer be written (a
// full disk, a folder made read-only): every later write fails with it.
var ErrUnwritable = errors.New("the checkpoint store cannot be written")

// backgroundPause is how long a failed background write (a flush of the
// memtable, a compaction) holds Pebble's goroutine back. Pebble retries a
// failed flush at once and forever; without a pause it spins at full CPU
// until the store is closed.
const backgroundPause = 100 * time.Millisecond

// health records the first error that left the store unable to write, so
// that every later write fails at once with it, naming the folder,
// instead of waiting for a flush that cannot succeed.
type health struct {
	dir string
	fs  vfs.FS
	log *slog.Logger
	err atomic.Pointer[error]
	// repeats counts the failures after the first, which are not logged.
	repeats atomic.Uint64
	// probing serialises probes: concurrent writes share the probe file.
	probing sync.Mutex
}

// fail records err unless an earlier error is recorded, logs the first
// once, and returns the recorded error.
func (h *health) fail(err error) error {
	wrapped := fmt.Errorf("%w (folder %s): %w", ErrUnwritable, h.dir, err)
	if h.err.CompareAndSwap(nil, &wrapped) {
		h.log.Error("the checkpoint store cannot be written; the service stops at its next checkpoint",
			"dir", h.dir, "error", err.Error())
		return wrapped
	}
	h.repeats.Add(1)
	return *h.err.Load()
}

// check returns the recorded error, or nil while the store is healthy.
func (h *health) check() error {
	if p := h.err.Load(); p != nil {
		return *p
	}
	return nil
}

// backgroundError is Pebble's EventListener.BackgroundError: a write of
// Pebble's own goroutines failed.
func (h *health) backgroundError(err error) {
	h.fail(err)
	time.Sleep(backgroundPause)
}

// fatalError is what the store's logger panics with when Pebble reports a
// fatal error (a failed write to the WAL): Pebble relies on Fatalf never
// returning, and the store recovers it where it called into Pebble.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

// probeName is the file probe writes; Open ignores a leftover one.
const probeName = "write-probe.tmp"

// probe checks that the folder still takes new files, by creating one with
// a byte in it and removing it. Pebble creates files when it rotates its
// log, inside a commit, and panics with its mutex released when that
// fails, which no recover can catch: a folder made read-only (or a disk
// full) must be found before. It costs no fsync.
func (h *health) probe() error {
	if err := h.check(); err != nil {
		return err
	}
	h.probing.Lock()
	defer h.probing.Unlock()
	name := h.fs.PathJoin(h.dir, probeName)
	f, err := h.fs.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return h.fail(fmt.Errorf("creating a file: %w", err))
	}
	_, werr := f.Write([]byte{0})
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return h.fail(fmt.Errorf("writing a file: %w", err))
	}
	if err := h.fs.Remove(name); err != nil {
		return h.fail(fmt.Errorf("removing a file: %w", err))
	}
	return nil
}
