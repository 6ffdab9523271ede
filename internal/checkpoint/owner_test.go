package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Root does not open a store another user owns: the files it wrote would
// lock that user out.
func TestRootRefusesAnotherUsersStore(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can hand a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.Chown(dir, 61234, 61234))
	_, err := Open(dir, nil)
	require.ErrorContains(t, err, "belongs to uid 61234: run this as that user, not as root")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing written")
}
