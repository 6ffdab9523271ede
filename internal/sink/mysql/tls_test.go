package mysql

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// TestTLSTarget writes through verify-identity TLS to a target that
// refuses plaintext, as a user that must use TLS, with the password in a
// file; a target certificate of another CA is refused with an error that
// names the target and the setting to check.
func TestTLSTarget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	files, err := ca.Issue("server", "127.0.0.1")
	require.NoError(t, err)
	other, err := testenv.NewTestCA(dir, "other")
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{Dir: filepath.Join(dir, "db"), TLS: &files, RequireSecureTransport: true})
	srv.Exec(t, "CREATE DATABASE tgt", "CREATE TABLE tgt.t (id INT PRIMARY KEY, v VARCHAR(10))",
		"CREATE USER w@'%' IDENTIFIED BY 'w-pw' REQUIRE SSL", "GRANT ALL ON tgt.* TO w@'%'")
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("w-pw\n"), 0o600))
	opts := Options{Host: "127.0.0.1", Port: uint16(srv.Port), User: "w", PasswordFile: pw, Database: "tgt",
		TLS: tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile}}

	s, err := New(context.Background(), opts)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	tb := table("t", "id")
	applyAll(t, s, txn(1, upsert(tb, []string{"id", "v"}, int64(1), "one")))
	var name, cipher string
	require.NoError(t, s.db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher))
	require.NotEmpty(t, cipher)
	require.NoError(t, s.Close())
	require.NoError(t, <-done)
	require.Equal(t, []string{"1|one"}, (&target{db: srv.DB(t, "tgt")}).dump(t, "SELECT id, v FROM tgt.t"))

	opts.TLS.CAFile = other.CAFile
	_, err = New(context.Background(), opts)
	require.ErrorContains(t, err, "mysql sink target w@127.0.0.1:")
	require.ErrorContains(t, err, "not signed by a CA in tls.ca_file "+other.CAFile)
}
