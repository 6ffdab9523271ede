package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ignoredEntries may be in an empty store directory: Pebble's lock file
// (Open takes the lock before looking), the folder a fresh file system
// has at its root, and the write probe a crash left behind.
var ignoredEntries = []string{"LOCK", "lost+found", probeName}

// checkExisting reports whether dir holds a store. A directory without one
// must be empty: files without a store are a store that lost its
// marker.manifest file, or a folder that is not a store at all, and a new
// store created over them would silently drop every checkpoint.
func checkExisting(dir string) (bool, error) {
	desc, err := pebble.Peek(dir, vfs.Default)
	if err != nil {
		return false, fmt.Errorf("%w: inspecting %s: %w", ErrNotAStore, dir, err)
	}
	if desc.Exists {
		return true, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("listing checkpoint directory %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !slices.Contains(ignoredEntries, e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return false, nil
	}
	shown := names[:min(len(names), 3)]
	more := ""
	if len(names) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(names)-len(shown))
	}
	return false, fmt.Errorf("%w: %s holds %s%s but no marker.manifest file; refusing to create a new store over them, "+
		"which would drop every checkpoint. If this is the store, restore it from a backup; if the setting names the wrong "+
		"folder, correct it; a new store needs an empty or missing folder",
		ErrNotAStore, dir, strings.Join(shown, ", "), more)
}

// corruption collects the files Pebble reports as corrupt. Pebble's default
// is to call Fatalf, a panic; reporting them instead lets the read that
// found them fail with an error.
type corruption struct {
	log   *slog.Logger
	mu    sync.Mutex
	files []string
}

func (c *corruption) report(info pebble.DataCorruptionInfo) {
	c.log.Error("checkpoint store file is corrupt", "file", info.Path, "error", info.Details.Error())
	c.add(info.Path)
}

func (c *corruption) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if path != "" && !slices.Contains(c.files, path) {
		c.files = append(c.files, path)
	}
}

// wrap turns an error that comes from a corrupt file into ErrCorrupt naming
// the files; other errors are returned as they are.
func (c *corruption) wrap(dir string, err error) error {
	if err == nil {
		return nil
	}
	if info := pebble.ExtractDataCorruptionInfo(err); info != nil {
		c.add(info.Path)
	}
	c.mu.Lock()
	files := slices.Clone(c.files)
	c.mu.Unlock()
	if len(files) == 0 && !pebble.IsCorruptionError(err) {
		return err
	}
	where := dir
	if len(files) > 0 {
		where = strings.Join(files, ", ")
	}
	// Pebble joins a placeholder line to the error to carry the details
	// extracted above; the message leaves it out.
	cause := strings.TrimSpace(strings.ReplaceAll(err.Error(), "<corruption detail carrier>", ""))
	return &corruptError{
		msg: fmt.Sprintf("%s: %s fails its checks (restore the store from a backup, or start a new one in an empty folder): %s",
			ErrCorrupt, where, cause),
		err: err,
	}
}

// corruptError is ErrCorrupt with Pebble's error beneath it.
type corruptError struct {
	msg string
	err error
}

func (e *corruptError) Error() string   { return e.msg }
func (e *corruptError) Unwrap() []error { return []error{ErrCorrupt, e.err} }

// verify reads every key and value once, so a damaged file shows when the
// store is opened, not in the middle of a stream. The store is small:
// positions, schema versions and failed changes.
func (s *Store) verify() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading the store failed: %v", ErrCorrupt, r)
		}
	}()
	iter, err := s.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("reading checkpoint store: %w", err)
	}
	for iter.First(); iter.Valid(); iter.Next() {
		if _, err := iter.ValueAndErr(); err != nil {
			return errors.Join(fmt.Errorf("reading checkpoint store: %w", err), iter.Close())
		}
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("reading checkpoint store: %w", err)
	}
	return nil
}
