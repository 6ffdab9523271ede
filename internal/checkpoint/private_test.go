package checkpoint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// TestStoreIsPrivate opens a store in a folder made beforehand with the
// usual umask, and again after its files were widened as an older version
// left them: the folder ends 0700 and every file 0600.
func TestStoreIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.Mkdir(dir, 0o755))
	requireModes(t, dir, 0o755, 0o644) // the umask left these bits

	use := func(n int) {
		s, err := Open(dir, nil)
		require.NoError(t, err)
		for i := range 50 {
			require.NoError(t, s.SavePositions(map[string]change.Position{"src": {File: "mysql-bin.000001", Pos: uint32(n*100 + i)}}))
			_, err := s.RecordFailed(change.FailedChange{Source: "src", Target: "app.t", Op: "upsert",
				Key: []change.Value{int64(i)}, Columns: []string{"id"}, Values: []change.Value{int64(i)}, Error: "Error 1644"})
			require.NoError(t, err)
		}
		requireModes(t, dir, dirMode, fileMode)
		require.NoError(t, s.Close())
		requireModes(t, dir, dirMode, fileMode)
	}
	use(0)

	// Widen everything, as a store written by an older version would be.
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return os.Chmod(path, 0o755)
		}
		return os.Chmod(path, 0o644)
	}))
	use(1)
}

// requireModes requires dir and the folders under it to have mode dirs,
// and at least one file under it, each with mode files.
func requireModes(t *testing.T, dir string, dirs, files fs.FileMode) {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		want := files
		if d.IsDir() {
			want = dirs
		} else {
			n++
		}
		require.Equal(t, want.String(), info.Mode().Perm().String(), path)
		return nil
	}))
	if files != 0o644 {
		require.Positive(t, n, fmt.Sprintf("files under %s", dir))
	}
}
