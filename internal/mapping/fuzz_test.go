package mapping

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzLoad(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	require.NoError(f, err)
	more, err := filepath.Glob(filepath.Join("testdata", "bad", "*", "*.yaml"))
	require.NoError(f, err)
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("- &x {target: a.b, key: [id], sources: [{source: s, table: a.b, columns: {id: id}}]}\n- *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.yaml")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		s, err := Load([]string{path}, []string{"s", "jp-accounts"})
		if err != nil {
			require.Nil(t, s)
			var ps Problems
			require.ErrorAs(t, err, &ps)
			require.NotEmpty(t, ps)
			return
		}
		require.NotNil(t, s)
		s.Requirements()
		s.Targets()
	})
}
