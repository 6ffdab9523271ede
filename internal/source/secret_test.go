package source

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/problem"
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

// TestIAMBinlogToken connects the binlog client as the reader does, with
// iam_auth over verified TLS, to a fake RDS endpoint that checks tokens
// by signing them again: each connection gets a fresh valid token.
func TestIAMBinlogToken(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	files, err := ca.Issue("server", "127.0.0.1")
	require.NoError(t, err)
	srv := testenv.StartFakeIAMServer(t, files, "eu-west-1", aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret-key"})

	opts := Options{Name: "aurora", Host: "127.0.0.1", Port: uint16(srv.Port), User: "tributary", ServerID: 1, IAMAuth: true,
		TLS: tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile}}
	opts.EnsureDefaults()
	var problems problem.List
	opts.Check(&problems)
	require.Empty(t, problems)
	for range 2 {
		pw, tc, err := opts.binlogAuth(context.Background())
		require.NoError(t, err)
		conn, err := client.Connect(net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port)), opts.User, pw, "", func(c *client.Conn) error {
			c.SetTLSConfig(tc)
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	}
	require.Len(t, srv.Tokens(), 2)
}
