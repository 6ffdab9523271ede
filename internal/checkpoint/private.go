package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The store holds the failed-changes records, row values included, so it
// is readable by its owner only, whatever the umask: the directory is
// dirMode, every file fileMode.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// privateFS is vfs.Default with files narrowed to fileMode right after they
// are created and directories created dirMode. Pebble's own FS creates
// files 0666 less the umask; the moment before the chmod is harmless
// because the directory is dirMode already (see makePrivate).
type privateFS struct{ vfs.FS }

var _ vfs.FS = privateFS{}

// Create creates name like vfs.Default, owner-only.
func (p privateFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	return private(name)(p.FS.Create(name, category))
}

// OpenReadWrite opens name like vfs.Default; a file it creates is
// owner-only.
func (p privateFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return private(name)(p.FS.OpenReadWrite(name, category, opts...))
}

// ReuseForWrite renames oldname to newname and opens it like vfs.Default,
// owner-only.
func (p privateFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	return private(newname)(p.FS.ReuseForWrite(oldname, newname, category))
}

// Lock locks name like vfs.Default, creating it owner-only.
func (p privateFS) Lock(name string) (io.Closer, error) {
	c, err := p.FS.Lock(name)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, fileMode); err != nil {
		return nil, errors.Join(fmt.Errorf("restricting %s to its owner: %w", name, err), c.Close())
	}
	return c, nil
}

// MkdirAll creates dir and its missing parents with dirMode.
func (p privateFS) MkdirAll(dir string, _ os.FileMode) error {
	return p.FS.MkdirAll(dir, dirMode)
}

// Unwrap returns the wrapped FS.
func (p privateFS) Unwrap() vfs.FS { return p.FS }

// private returns a function that narrows the file opened at name to
// fileMode, taking the results of the call that opened it.
func private(name string) func(vfs.File, error) (vfs.File, error) {
	return func(f vfs.File, err error) (vfs.File, error) {
		if err != nil {
			return f, err
		}
		if err := os.Chmod(name, fileMode); err != nil {
			return nil, errors.Join(fmt.Errorf("restricting %s to its owner: %w", name, err), f.Close())
		}
		return f, nil
	}
}

// makePrivate sets the directories under dir to dirMode and takes group
// and other permissions away from its files, which a store written before
// these modes, or copied in, may have. It follows no symbolic link.
func makePrivate(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		perm := info.Mode().Perm()
		want := perm &^ 0o077
		if d.IsDir() {
			want = dirMode
		}
		if perm == want {
			return nil
		}
		if err := os.Chmod(path, want); err != nil {
			return fmt.Errorf("restricting %s to its owner: %w", path, err)
		}
		return nil
	})
}
