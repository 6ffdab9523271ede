package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Errors callers branch on.
var (
	// ErrNotFound reports that the store holds no such position or schema.
	ErrNotFound = errors.New("not in the checkpoint store")
	// ErrDropped reports that a table's latest schema version at the requested
	// ordinal is a drop marker; errors.Is(ErrDropped, ErrNotFound) holds.
	ErrDropped = fmt.Errorf("%w: table dropped", ErrNotFound)
	// ErrClosed reports a call on a Store after Close.
	ErrClosed = errors.New("the checkpoint store is closed")
	// ErrLocked reports that another Store, in this process or another one,
	// holds the directory open.
	ErrLocked = errors.New("the checkpoint store is in use by another process")
	// ErrNotAStore reports a directory that holds files but no store:
	// Open never creates a store over them.
	ErrNotAStore = errors.New("the folder holds files but no checkpoint store")
	// ErrCorrupt reports a store file that fails its checksums or cannot be
	// read as what it should be.
	ErrCorrupt = errors.New("the checkpoint store is corrupt")
)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Logger receives Pebble's own messages; nil discards them.
	Logger *slog.Logger
	// FS replaces the operating system's files, for tests that inject the
	// faults a real disk cannot be made to have on demand; nil means
	// vfs.Default.
	FS vfs.FS
}

// Store is an open checkpoint store. Its methods are safe for concurrent use.
type Store struct {
	db     *pebble.DB
	lock   *pebble.Lock
	health *health
	syncs  atomic.Uint64
	// cursorMu serialises the writes of backfill cursors.
	cursorMu sync.Mutex
	mu       struct {
		// RWMutex is held for reading by every operation and for writing by
		// Close, so Close waits for operations in flight and later ones get
		// ErrClosed instead of Pebble's panic.
		sync.RWMutex
		closed bool
	}
}

// Open opens the store in dir, creating dir and a new store in it if dir
// is missing or empty. A directory with files but no store (a missing
// marker.manifest file, or foreign files) fails with ErrNotAStore rather
// than being initialised over: its checkpoints would silently be lost.
// Open reads every key once, so a damaged file fails with ErrCorrupt
// naming it here rather than later. The store is exclusive: while it is
// open, another Open of dir fails with ErrLocked. It holds row values (the
// failed-changes records), so dir is made 0700 and every file in it 0600,
// whatever the umask and whoever made dir.
func Open(dir string, opts *Options) (*Store, error) {
	var logger *slog.Logger
	base := vfs.Default
	if opts != nil {
		logger = opts.Logger
		if opts.FS != nil {
			base = opts.FS
		}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("creating checkpoint directory: %w", err)
	}
	if err := ownedByCaller(dir); err != nil {
		return nil, err
	}
	// Restricted before Pebble writes anything, so no file of the store is
	// ever reachable by others, even for the moment between its creation
	// and privateFS's chmod.
	if err := os.Chmod(dir, dirMode); err != nil {
		return nil, fmt.Errorf("restricting checkpoint directory %s to its owner: %w", dir, err)
	}
	fsys := privateFS{base}
	lock, err := pebble.LockDirectory(dir, fsys)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			return nil, fmt.Errorf("locking checkpoint store %s: %w", dir, err)
		}
		return nil, fmt.Errorf("%w: %s (%w)", ErrLocked, dir, err)
	}
	exists, err := checkExisting(dir)
	if err != nil {
		return nil, errors.Join(err, lock.Close())
	}
	// Files of a store written with wider modes are narrowed once it is
	// ours: the lock keeps another process from creating files meanwhile.
	if err := makePrivate(dir); err != nil {
		return nil, errors.Join(err, lock.Close())
	}
	damage := &corruption{log: logger}
	h := &health{dir: dir, fs: fsys, log: logger}
	db, err := pebble.Open(dir, &pebble.Options{
		FS:               fsys,
		Logger:           pebbleLogger{logger, h},
		Lock:             lock,
		ErrorIfNotExists: exists,
		EventListener: &pebble.EventListener{
			DataCorruption:  damage.report,
			BackgroundError: h.backgroundError,
		},
	})
	if err != nil {
		return nil, errors.Join(
			damage.wrap(dir, fmt.Errorf("opening checkpoint store %s: %w", dir, err)),
			lock.Close())
	}
	s := &Store{db: db, lock: lock, health: h}
	if err := s.verify(); err != nil {
		return nil, errors.Join(damage.wrap(dir, err), s.Close())
	}
	return s, nil
}

// Close closes the store and releases its directory. Every write was synced
// when it returned, so nothing is lost. Calling Close again returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil
	}
	s.mu.closed = true
	var errs []error
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing checkpoint store: %w", err))
	}
	// The lock must outlive the database: Pebble releases its own reference
	// in db.Close, this one releases the file lock.
	if err := s.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("unlocking checkpoint store: %w", err))
	}
	return errors.Join(errs...)
}

// Syncs returns the number of synced commits made since Open.
func (s *Store) Syncs() uint64 { return s.syncs.Load() }

// acquire takes the read lock for one operation; the caller must call
// s.mu.RUnlock when it returns nil.
func (s *Store) acquire() error {
	s.mu.RLock()
	if s.mu.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// commitLocked commits b durably and closes it. Once a write of the store
// has failed, in Pebble's goroutines or here, it fails at once with that
// error (ErrUnwritable): a commit could wait forever for a flush that
// cannot happen.
func (s *Store) commitLocked(b *pebble.Batch) (err error) {
	if err := s.health.probe(); err != nil {
		return errors.Join(err, b.Close())
	}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			err = f.err // the batch is Pebble's now; it is not closed
		}
	}()
	if err := b.Commit(pebble.Sync); err != nil {
		return errors.Join(err, b.Close())
	}
	s.syncs.Add(1)
	return b.Close()
}
