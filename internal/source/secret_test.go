package source

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// TestSecretRotationWhileStreaming streams with the password in a fake
// AWS Secrets Manager, over TLS; the password and the secret are rotated
// and the connections killed: the reader reads the secret again when the
// server refuses the cached one and streams on.
func TestSecretRotationWhileStreaming(t *testing.T) {
	secrets := testenv.StartFakeSecrets(t)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets.URL,
	} {
		t.Setenv(k, v)
	}
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repl-AbCdEf"
	s, ca := startTLSMariaDB(t)
	secrets.Set(arn, `{"password":"first-pw"}`)
	opts := testOptions(s)
	opts.User, opts.PasswordSecret = "repl", arn // region from the ARN
	opts.TLS = tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile}
	opts.EnsureDefaults()
	r := New(opts)
	ctx := context.Background()
	require.NoError(t, r.Preflight(ctx))
	start, err := r.CurrentPosition(ctx)
	require.NoError(t, err)
	rr := run(t, r, start, 4)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)", "INSERT INTO db.t VALUES (1)")
	require.Equal(t, []change.Row{{int64(1)}}, afterRows(rr.nextWithChanges(t).Changes))
	reads := secrets.Reads(arn)

	s.Exec(t, "ALTER USER repl@'%' IDENTIFIED BY 'second-pw'")
	secrets.Set(arn, `{"password":"second-pw"}`)
	s.Exec(t, "KILL USER repl", "INSERT INTO db.t VALUES (2)")
	require.Equal(t, []change.Row{{int64(2)}}, afterRows(rr.nextWithChanges(t).Changes))
	require.Greater(t, secrets.Reads(arn), reads)
	rr.stop(t)
}
