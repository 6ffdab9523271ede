package source

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/problem"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// startTLSMariaDB starts a server with a certificate of a test CA for
// 127.0.0.1 and localhost that refuses plaintext, with a user repl that
// must use TLS, and returns it with the CA.
func startTLSMariaDB(t *testing.T) (*testenv.Server, *testenv.TestCA) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	files, err := ca.Issue("server", "127.0.0.1", "localhost")
	require.NoError(t, err)
	s := testenv.StartT(t, testenv.Options{Dir: filepath.Join(dir, "db"), ServerID: 1, TLS: &files, RequireSecureTransport: true})
	s.Exec(t, "CREATE DATABASE db",
		"CREATE USER repl@'%' IDENTIFIED BY 'first-pw' REQUIRE SSL",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT, INSERT, CREATE ON *.* TO repl@'%'")
	return s, ca
}

// TestTLSStream streams a source through verify-identity TLS on a server
// that refuses plaintext: preflight, position, schema and binlog
// connections all use the test CA, the password comes from a file read at
// every connection, and SQL connections opened through Connector are
// encrypted too.
func TestTLSStream(t *testing.T) {
	t.Parallel()
	s, ca := startTLSMariaDB(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("first-pw\n"), 0o600))
	opts := testOptions(s)
	opts.User, opts.PasswordFile = "repl", pwFile
	opts.TLS = tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile}
	opts.EnsureDefaults()
	var problems problem.List
	opts.Check(&problems)
	require.Empty(t, problems)

	r := New(opts)
	ctx := context.Background()
	require.NoError(t, r.Preflight(ctx))
	start, err := r.CurrentPosition(ctx)
	require.NoError(t, err)
	rr := run(t, r, start, 4)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO db.t VALUES (1, 'one')")
	txn := rr.nextWithChanges(t)
	require.Equal(t, []change.Row{{int64(1), "one"}}, afterRows(txn.Changes))

	// The SQL connections of backfill, lookups and checks: encrypted.
	c, err := opts.Connector("db")
	require.NoError(t, err)
	db := sql.OpenDB(c)
	defer db.Close()
	var name, cipher string
	require.NoError(t, db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher))
	require.NotEmpty(t, cipher)

	// A new password in the file serves the next new connection, on SQL
	// and on the binlog (killed here so the reader reconnects).
	s.Exec(t, "ALTER USER repl@'%' IDENTIFIED BY 'second-pw'")
	require.NoError(t, os.WriteFile(pwFile, []byte("  second-pw  \n"), 0o600))
	db.SetMaxIdleConns(0)
	var one int
	require.NoError(t, db.QueryRow("SELECT 1").Scan(&one))
	s.Exec(t, "KILL USER repl")
	s.Exec(t, "INSERT INTO db.t VALUES (2, 'two')")
	txn = rr.nextWithChanges(t)
	require.Equal(t, []change.Row{{int64(2), "two"}}, afterRows(txn.Changes))
	rr.stop(t)
}

// TestTLSRefused checks that a certificate of another CA and a name the
// certificate does not hold are refused on the SQL connections and on the
// binlog connection, with errors that name the source and what to check,
// and that verify-ca accepts a certificate whatever the name.
func TestTLSRefused(t *testing.T) {
	t.Parallel()
	s, ca := startTLSMariaDB(t)
	other, err := testenv.NewTestCA(t.TempDir(), "other")
	require.NoError(t, err)
	// A bundle of many CAs, as the RDS global bundle: the right one among them.
	a, err := os.ReadFile(other.CAFile)
	require.NoError(t, err)
	b, err := os.ReadFile(ca.CAFile)
	require.NoError(t, err)
	bundle := filepath.Join(t.TempDir(), "bundle.pem")
	require.NoError(t, os.WriteFile(bundle, append(a, b...), 0o600))
	tests := []struct {
		name string
		tls  tlsconf.Options
		want []string // in the error; none: accepted
	}{
		{"wrong CA", tlsconf.Options{Mode: tlsconf.VerifyCA, CAFile: other.CAFile},
			[]string{`source "src" (127.0.0.1:`, "not signed by a CA in tls.ca_file " + other.CAFile, "check that tls.ca_file holds the CA"}},
		{"wrong name", tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile, ServerName: "db.example.com"},
			[]string{`source "src" (127.0.0.1:`, `valid for localhost, 127.0.0.1, not for "db.example.com"`, "tls.server_name is db.example.com"}},
		{"CA bundle", tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: bundle, ServerName: "localhost"}, nil},
		{"verify-ca ignores the name", tlsconf.Options{Mode: tlsconf.VerifyCA, CAFile: ca.CAFile}, nil},
		{"required checks nothing", tlsconf.Options{Mode: tlsconf.Required, CAFile: other.CAFile}, nil},
		{"plaintext refused by the server", tlsconf.Options{Mode: tlsconf.Disabled},
			[]string{"Access denied"}}, // as root, whom TLS lets in: MariaDB answers 1045
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(s)
			opts.User, opts.Password, opts.TLS = "repl", "first-pw", tt.tls
			if tt.tls.Mode == tlsconf.Disabled {
				opts.User, opts.Password = "root", ""
			}
			opts.EnsureDefaults()
			ctx := context.Background()
			_, sqlErr := New(opts).CurrentPosition(ctx)
			// The binlog client with the configuration the reader gives it.
			pw, tc, err := opts.binlogAuth(ctx)
			require.NoError(t, err)
			conn, binlogErr := client.Connect(net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), opts.User, pw, "", func(c *client.Conn) error {
				c.SetTLSConfig(tc)
				return nil
			})
			if binlogErr == nil {
				_ = conn.Close()
			}
			if tt.want == nil {
				require.NoError(t, sqlErr)
				require.NoError(t, binlogErr)
				return
			}
			require.Error(t, sqlErr)
			require.Error(t, binlogErr)
			for _, w := range tt.want {
				require.ErrorContains(t, sqlErr, w)
				require.ErrorContains(t, binlogErr, w)
			}
		})
	}
}

// TestTLSPreferred streams under tls mode preferred from a server without
// TLS (plaintext) and from one with it (encrypted, unchecked).
func TestTLSPreferred(t *testing.T) {
	t.Parallel()
	plain := startMariaDB(t)
	secure, _ := startTLSMariaDB(t)
	for _, s := range []*testenv.Server{plain, secure} {
		opts := testOptions(s)
		opts.TLS = tlsconf.Options{Mode: tlsconf.Preferred}
		opts.EnsureDefaults()
		r := New(opts)
		start, err := r.CurrentPosition(context.Background())
		require.NoError(t, err)
		rr := run(t, r, start, 4)
		s.Exec(t, "CREATE TABLE db.p (id INT PRIMARY KEY)", "INSERT INTO db.p VALUES (7)")
		require.Equal(t, []change.Row{{int64(7)}}, afterRows(rr.nextWithChanges(t).Changes))
		rr.stop(t)
	}
}
