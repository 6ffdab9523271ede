package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// storeWithTable writes a position and returns a closed store whose data
// is in an sstable.
func storeWithTable(t *testing.T) (dir, sst string) {
	t.Helper()
	dir = t.TempDir()
	s, err := Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, s.SavePositions(map[string]change.Position{"src": {Flavor: change.MariaDB, GTIDSet: "0-1-42", ServerID: 1}}))
	require.NoError(t, s.db.Flush())
	require.NoError(t, s.Close())
	tables, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	require.NoError(t, err)
	require.Len(t, tables, 1)
	return dir, tables[0]
}

func TestOpenRefusesFilesWithoutAStore(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T) string
	}{
		{"foreign file", func(t *testing.T) string {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600))
			return dir
		}},
		{"manifest marker deleted", func(t *testing.T) string {
			dir, _ := storeWithTable(t)
			markers, err := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
			require.NoError(t, err)
			require.NotEmpty(t, markers)
			for _, m := range markers {
				require.NoError(t, os.Remove(m))
			}
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.prepare(t)
			before, err := os.ReadDir(dir)
			require.NoError(t, err)
			_, err = Open(dir, nil)
			require.ErrorIs(t, err, ErrNotAStore)
			require.ErrorContains(t, err, dir)
			require.ErrorContains(t, err, "no marker.manifest file")
			after, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, after, len(before)+countMissing(before, "LOCK"), "Open wrote into the folder")
		})
	}
}

// countMissing is 1 when entries lack name: Open takes its lock file first.
func countMissing(entries []os.DirEntry, name string) int {
	for _, e := range entries {
		if e.Name() == name {
			return 0
		}
	}
	return 1
}

func TestOpenCreatesInAnEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "lost+found"), 0o700))
	s := openAt(t, dir)
	_, err := s.Positions()
	require.NoError(t, err)
}

func TestOpenReportsACorruptTable(t *testing.T) {
	dir, sst := storeWithTable(t)
	data, err := os.ReadFile(sst)
	require.NoError(t, err)
	data[len(data)/3] ^= 0xff
	require.NoError(t, os.WriteFile(sst, data, 0o600))

	_, err = Open(dir, nil)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, sst)
	require.ErrorContains(t, err, "checksum mismatch")

	// The lock was released: a repaired folder opens again.
	data[len(data)/3] ^= 0xff
	require.NoError(t, os.WriteFile(sst, data, 0o600))
	s := openAt(t, dir)
	p, err := s.Position("src")
	require.NoError(t, err)
	require.Equal(t, "0-1-42", p.GTIDSet)
}

func TestBind(t *testing.T) {
	s, dir := openTemp(t)
	_, err := s.ID()
	require.ErrorIs(t, err, ErrNotFound)
	_, err = s.Server("a")
	require.ErrorIs(t, err, ErrNotFound)

	srv := Server{Flavor: change.MariaDB, ID: 7}
	pos := change.Position{Flavor: change.MariaDB, GTIDSet: "0-7-3", ServerID: 7}
	id, err := s.Bind(map[string]Server{"a": srv}, map[string]change.Position{"a": pos})
	require.NoError(t, err)
	require.Len(t, id, 32)

	other := Server{Flavor: change.MySQL, UUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562", ID: 1}
	again, err := s.Bind(map[string]Server{"b": other}, nil)
	require.NoError(t, err)
	require.Equal(t, id, again, "the id is made once")
	require.NoError(t, s.Close())

	s = openAt(t, dir)
	got, err := s.ID()
	require.NoError(t, err)
	require.Equal(t, id, got)
	a, err := s.Server("a")
	require.NoError(t, err)
	require.Equal(t, srv, a)
	b, err := s.Server("b")
	require.NoError(t, err)
	require.Equal(t, other, b)
	p, err := s.Position("a")
	require.NoError(t, err)
	require.Equal(t, pos, p)
}

func TestServerSame(t *testing.T) {
	const u1, u2 = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4f22fa47-71ca-11e1-9e33-c80aa9429562"
	tests := []struct {
		name string
		a, b Server
		want bool
	}{
		{"same mariadb id", Server{change.MariaDB, 1, ""}, Server{change.MariaDB, 1, ""}, true},
		{"other mariadb id", Server{change.MariaDB, 1, ""}, Server{change.MariaDB, 2, ""}, false},
		{"same uuid, other id", Server{change.MySQL, 1, u1}, Server{change.MySQL, 2, u1}, true},
		{"same id, other uuid", Server{change.MySQL, 1, u1}, Server{change.MySQL, 1, u2}, false},
		{"other flavor", Server{change.MySQL, 1, ""}, Server{change.MariaDB, 1, ""}, false},
		{"flavor unknown", Server{"", 1, ""}, Server{change.MariaDB, 1, ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.a.Same(tt.b))
			require.Equal(t, tt.want, tt.b.Same(tt.a))
		})
	}
}
