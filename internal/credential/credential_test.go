package credential

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/problem"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// fakeAWS points the AWS SDK at fixed test credentials and region, and at
// a fake Secrets Manager, away from any configuration of the machine.
func fakeAWS(t *testing.T) *testenv.FakeSecrets {
	f := testenv.StartFakeSecrets(t)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_SECRETS_MANAGER": f.URL,
	} {
		t.Setenv(k, v)
	}
	return f
}

// TestIAMToken checks the signed parameters of the IAM authentication
// token made for the connection's endpoint and user.
func TestIAMToken(t *testing.T) {
	fakeAWS(t)
	p := New(Settings{Label: "test", User: "app", Host: "db.cluster-x.eu-west-1.rds.amazonaws.com", Port: 3306, IAMAuth: true})
	require.True(t, p.Dynamic())
	token, err := p.Password(context.Background())
	require.NoError(t, err)
	host, query, ok := strings.Cut(token, "?")
	require.True(t, ok, "token %q", token)
	require.Equal(t, "db.cluster-x.eu-west-1.rds.amazonaws.com:3306", host)
	q, err := url.ParseQuery(query)
	require.NoError(t, err)
	require.Equal(t, "connect", q.Get("Action"))
	require.Equal(t, "app", q.Get("DBUser"))
	require.Equal(t, "AWS4-HMAC-SHA256", q.Get("X-Amz-Algorithm"))
	require.Equal(t, "900", q.Get("X-Amz-Expires"))
	require.Regexp(t, `^AKIDTEST/\d{8}/eu-west-1/rds-db/aws4_request$`, q.Get("X-Amz-Credential"))
	require.Regexp(t, `^[0-9a-f]{64}$`, q.Get("X-Amz-Signature"))
	require.NotEmpty(t, q.Get("X-Amz-Date"))

	// Without a region the token cannot be signed: the error says so.
	t.Setenv("AWS_REGION", "")
	_, err = New(Settings{Label: `source "a"`, User: "app", Host: "db", Port: 3306, IAMAuth: true}).Password(context.Background())
	require.EqualError(t, err, `source "a": iam_auth needs the database's AWS region: set aws_region or AWS_REGION`)

	// The connector sends it in clear text, as RDS asks (TLS required).
	c, err := p.Connector(mysql.NewConfig())
	require.NoError(t, err)
	require.NotNil(t, c)
}

// TestCheck checks the password settings' problems.
func TestCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	tests := []struct {
		name   string
		s      Settings
		env    string
		secure bool
		want   problem.List
	}{
		{"none", Settings{}, "", false, nil},
		{"file", Settings{PasswordFile: file}, "", false, nil},
		{"missing file", Settings{PasswordFile: file + "-nope"}, "", false,
			problem.List{{Key: "password_file", Message: "reading password file: open " + file + "-nope: no such file or directory"}}},
		{"secret ARN", Settings{PasswordSecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}, "", false, nil},
		{"bad ARN", Settings{PasswordSecret: "arn:aws:s3:::bucket"}, "", false,
			problem.List{{Key: "password_secret", Message: "is not a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"}}},
		{"iam with tls", Settings{IAMAuth: true}, "", true, nil},
		{"iam without tls", Settings{IAMAuth: true}, "", false,
			problem.List{{Key: "iam_auth", Message: "needs TLS: set tls.mode to required, verify-ca or verify-identity (the token is sent in clear text to the server)"}}},
		{"two ways", Settings{PasswordFile: file, IAMAuth: true}, "PW", true,
			problem.List{{Key: "password_file", Message: "cannot be combined with password_env, iam_auth: give the password one way"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got problem.List
			tt.s.Check(&got, tt.env, tt.secure)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestSecretRotation reads the password from a fake Secrets Manager,
// caches it across connections, and after the password and the secret
// are rotated reads the secret again when the server refuses the cached
// one, so new connections succeed.
func TestSecretRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	secrets := fakeAWS(t)
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf"
	s := testenv.StartT(t, testenv.Options{})
	s.Exec(t, "CREATE USER app@'%' IDENTIFIED BY 'first-pw'")
	secrets.Set(arn, `{"username":"app","password":"first-pw"}`)

	cfg, err := mysql.ParseDSN(s.DSN("app", "", ""))
	require.NoError(t, err)
	p := New(Settings{Label: "test", User: "app", PasswordSecret: arn})
	c, err := p.Connector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxIdleConns(0) // every query a new connection
	query := func() {
		t.Helper()
		var user string
		require.NoError(t, db.QueryRow("SELECT CURRENT_USER()").Scan(&user))
		require.Equal(t, "app@%", user)
	}
	query()
	query()
	require.Equal(t, 1, secrets.Reads(arn), "the secret is cached")

	s.Exec(t, "ALTER USER app@'%' IDENTIFIED BY 'second-pw'")
	secrets.Set(arn, "second-pw") // a plain string secret
	query()
	require.Equal(t, 2, secrets.Reads(arn), "read again after the refusal")
	query()
	require.Equal(t, 2, secrets.Reads(arn))

	// A secret that is not there: the error names the connection and the
	// secret, never a password.
	_, err = New(Settings{Label: `source "a"`, PasswordSecret: arn + "-gone"}).Password(context.Background())
	require.ErrorContains(t, err, `source "a": reading password_secret `+arn+"-gone from AWS Secrets Manager")
	require.ErrorContains(t, err, "ResourceNotFoundException")
}

// TestIAMConnects connects to a fake RDS endpoint that checks tokens by
// signing them again: every new connection sends a fresh, valid token in
// clear text over verified TLS.
func TestIAMConnects(t *testing.T) {
	fakeAWS(t)
	dir := t.TempDir()
	ca, err := testenv.NewTestCA(dir, "test")
	require.NoError(t, err)
	files, err := ca.Issue("server", "127.0.0.1")
	require.NoError(t, err)
	srv := testenv.StartFakeIAMServer(t, files, "eu-west-1", aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret-key"})

	p := New(Settings{Label: "test", User: "iam_user", Host: "127.0.0.1", Port: uint16(srv.Port), IAMAuth: true})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "iam_user", "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port))
	require.NoError(t, tlsconf.Options{Mode: tlsconf.VerifyIdentity, CAFile: ca.CAFile}.ApplyDriver(cfg, "iam", "test"))
	c, err := p.Connector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxIdleConns(0)
	for range 2 {
		conn, err := db.Conn(context.Background())
		require.NoError(t, err)
		require.NoError(t, conn.PingContext(context.Background()))
		require.NoError(t, conn.Close())
	}
	require.Len(t, srv.Tokens(), 2, "a token per connection")

	// A token signed for another region is refused.
	wrong := New(Settings{Label: "test", User: "iam_user", Host: "127.0.0.1", Port: uint16(srv.Port), IAMAuth: true, Region: "us-east-1"})
	c, err = wrong.Connector(cfg)
	require.NoError(t, err)
	db2 := sql.OpenDB(c)
	defer db2.Close()
	err = db2.Ping()
	require.True(t, AccessDenied(err), "%v", err)
}
