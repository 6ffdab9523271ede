package tlsconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/problem"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestCheck checks the tls block's settings problems, keyed as in the
// configuration.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	client, err := ca.Issue("client")
	require.NoError(t, err)
	other, err := testenv.NewTestCA(dir, "other")
	require.NoError(t, err)
	// A bundle of many CAs, as the RDS global bundle.
	a, err := os.ReadFile(ca.CAFile)
	require.NoError(t, err)
	b, err := os.ReadFile(other.CAFile)
	require.NoError(t, err)
	bundle := filepath.Join(dir, "bundle.pem")
	require.NoError(t, os.WriteFile(bundle, append(a, b...), 0o600))
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))

	tests := []struct {
		name string
		o    Options
		want problem.List
	}{
		{"zero", Options{}, nil},
		{"bundle", Options{Mode: VerifyIdentity, CAFile: bundle, CertFile: client.CertFile, KeyFile: client.KeyFile}, nil},
		{"unknown mode", Options{Mode: "on"}, problem.List{{Key: "mode", Message: "must be one of disabled, preferred, required, verify-ca, verify-identity"}}},
		{"files without tls", Options{CAFile: bundle}, problem.List{{Key: "ca_file", Message: "needs a tls mode other than disabled"}}},
		{"missing CA", Options{Mode: VerifyCA, CAFile: filepath.Join(dir, "nope.pem")},
			problem.List{{Key: "ca_file", Message: "reading CA file: open " + filepath.Join(dir, "nope.pem") + ": no such file or directory"}}},
		{"CA not PEM", Options{Mode: VerifyCA, CAFile: notPEM}, problem.List{{Key: "ca_file", Message: "no PEM certificate in " + notPEM}}},
		{"cert without key", Options{Mode: Required, CertFile: client.CertFile}, problem.List{{Key: "key_file", Message: "is required with cert_file"}}},
		{"key of another cert", Options{Mode: Required, CertFile: client.CertFile, KeyFile: ca.CAFile},
			problem.List{{Key: "cert_file", Message: "loading the client certificate and key: tls: found a certificate rather than a key in the PEM for the private key"}}},
		{"server name unchecked", Options{Mode: VerifyCA, ServerName: "db"}, problem.List{{Key: "server_name", Message: "is only checked by mode verify-identity"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got problem.List
			tt.o.Check(&got)
			require.Equal(t, tt.want, got)
		})
	}
}
