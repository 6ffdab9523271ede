package jsonl

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// openFile opens path for appending, creating it with mode 0640, and
// reports whether it is a regular file (one that fsync applies to).
func openFile(path string, logger *slog.Logger) (*os.File, bool, error) {
	_, err := os.Stat(path)
	created := errors.Is(err, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, false, fmt.Errorf("opening %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, false, errors.Join(fmt.Errorf("inspecting %s: %w", path, err), f.Close())
	}
	if !fi.Mode().IsRegular() {
		return f, false, nil
	}
	if err := endLine(f, fi.Size(), logger); err != nil {
		return nil, false, errors.Join(fmt.Errorf("ending the last line of %s: %w", path, err), f.Close())
	}
	if created {
		// The new directory entry must be durable too, or a crash can
		// lose the whole file after its lines were fsynced.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return nil, false, errors.Join(err, f.Close())
		}
	}
	return f, true, nil
}

// endLine terminates a last line that a crash left unfinished, so that the
// next line starts on its own. The unfinished line stays, invalid, for the
// consumer to skip; its changes were never checkpointed and come again.
func endLine(f *os.File, size int64, logger *slog.Logger) error {
	if size == 0 {
		return nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	logger.Warn("ending an unfinished last line", "path", f.Name(), "offset", size)
	_, err := f.Write([]byte{'\n'})
	return err
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		return errors.Join(fmt.Errorf("syncing directory %s: %w", dir, err), d.Close())
	}
	return d.Close()
}
