package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// StartT starts a server for one test in a temporary directory and stops it
// when the test ends.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		if s.exited() {
			t.Errorf("mariadbd on port %d exited during the test; the end of its error log:\n%s", s.Port, s.errorLogTail(4000))
		}
		_ = s.Stop()
	})
	return s
}

// DB opens a root connection pool to database on s, closed when t ends.
func (s *Server) DB(t testing.TB, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN("root", "", database))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Exec runs each statement as root and fails the test on the first error.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db := s.DB(t, "")
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err, "executing %q", q)
	}
}

// BuildTributary builds cmd/tributary once per test binary and returns the
// path of the executable, for tests that need a real process to kill.
var BuildTributary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tributary-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "tributary")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tributary-cdc/tributary/cmd/tributary").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building tributary: %w: %s", err, out)
	}
	return bin, nil
})

// FreeAddr returns "127.0.0.1:PORT" with a port reserved as servers' are,
// for a listener of the test's own (a service's HTTP endpoint).
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	port, err := freePort()
	require.NoError(tb, err)
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
