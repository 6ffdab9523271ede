package checkpoint

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTemp opens a store in a fresh directory and closes it when the test ends.
func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	return openAt(t, dir), dir
}

// openAt opens the store in dir and closes it when the test ends.
func openAt(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}
