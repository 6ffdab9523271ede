package replicator_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// useMappings copies the demo's mappings into the cluster's folder,
// applies edit to the named file and points the configuration at the copy.
func (d *demoCluster) useMappings(t *testing.T, file string, edit func(string) string) {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(self), "..", "..", "mappings")
	mine := filepath.Join(d.dir, "mappings")
	require.NoError(t, os.RemoveAll(mine))
	require.NoError(t, os.CopyFS(mine, os.DirFS(repo)))
	path := filepath.Join(mine, file)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(edit(string(data))), 0o600))
	cfg, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.cfg, []byte(strings.Replace(string(cfg), repo, mine, 1)), 0o600))
}

// run refuses to start when a mapping names a column the live source
// table does not have, instead of stopping at the first row that needs it.
func TestRunChecksMappingsAgainstLiveSchemas(t *testing.T) {
	d := startDemoCluster(t)
	d.useMappings(t, "cooksnaps.yaml", func(s string) string {
		return strings.Replace(s, "comment: comment", "comment: commment", 1)
	})
	cmd, stderr := d.run(t)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(time.Minute):
		t.Fatal("run started with a mapping that does not fit the source")
	}
	logs := stderr.String()
	require.Contains(t, logs, "the mappings do not fit the live schemas")
	require.Contains(t, logs, "commment")
	require.Contains(t, logs, "cooksnaps.yaml:")
}
