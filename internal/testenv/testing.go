package testenv

import (
	"context"
	"database/sql"
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
	t.Cleanup(func() { _ = s.Stop() })
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
