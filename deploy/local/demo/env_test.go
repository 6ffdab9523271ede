package demo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{in: "", want: ""},
		{in: "42", want: "42"},
		{in: "abc123", want: "abc123"},
		{in: "root@tcp(127.0.0.1:3306)/", want: "'root@tcp(127.0.0.1:3306)/'"},
		{in: "it's", want: `'it'\''s'`},
		{in: "a b", want: "'a b'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, quote(tt.in))
			require.Equal(t, tt.in, unquote(quote(tt.in)))
		})
	}
}

func TestReadEnv(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    Env
		wantErr bool
	}{
		{name: "empty", content: "", want: Env{}},
		{
			name:    "comments, blanks, quotes and export",
			content: "# c\n\nA=1\nexport B='x(y)'\nC=\"q\"\nD=\nE=a=b\n",
			want:    Env{"A": "1", "B": "x(y)", "C": "q", "D": "", "E": "a=b"},
		},
		{name: "no equals sign", content: "A\n", wantErr: true},
		{name: "empty key", content: "=1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), EnvFile)
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			got, err := ReadEnv(path)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadEnvMissing(t *testing.T) {
	env, err := ReadEnv(filepath.Join(t.TempDir(), EnvFile))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Empty(t, env)
}

func TestEnvWriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), EnvFile)
	env := Env{KeyPassword: "abcdef0123456789"}
	env.set(Servers[0], 3307, 99, "abcdef0123456789")
	env.setKinesis("http://127.0.0.1:4568", 98)
	require.NoError(t, env.Write(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := ReadEnv(path)
	require.NoError(t, err)
	require.Equal(t, env, got)
	require.Equal(t, "tributary:abcdef0123456789@tcp(127.0.0.1:3307)/", got["JP_ACCOUNTS_DSN"])
	require.Equal(t, "root@tcp(127.0.0.1:3307)/", got["JP_ACCOUNTS_ROOT_DSN"])
	require.Equal(t, "99", got["JP_ACCOUNTS_PID"])
	require.Equal(t, "http://127.0.0.1:4568", got["KINESIS_ENDPOINT"])
	require.Equal(t, "demo-cooksnaps", got["KINESIS_STREAM"])
	require.Equal(t, "98", got["KINESIS_PID"])
	env.setKinesis("http://127.0.0.1:4568", 0)
	require.Empty(t, env["KINESIS_PID"])
}

func TestPrefix(t *testing.T) {
	tests := map[string]string{
		"jp-accounts": "JP_ACCOUNTS", "jp-accounts-2": "JP_ACCOUNTS_2", "target": "TARGET",
	}
	for name, want := range tests {
		require.Equal(t, want, Server{Name: name}.Prefix())
	}
}

func TestValidPassword(t *testing.T) {
	tests := map[string]bool{
		"":                 false,
		"short":            false,
		"abcdef0123456789": true,
		"abc'def012345":    false,
		"abc def012345":    false,
	}
	for pw, want := range tests {
		require.Equal(t, want, validPassword(pw), pw)
	}
}

func TestWriterDSNs(t *testing.T) {
	env := Env{}
	for i, s := range Servers {
		env.set(s, 4000+i, 0, "abcdef0123456789")
	}
	accounts, recipes := env.WriterDSNs()
	require.Equal(t, []string{"root@tcp(127.0.0.1:4000)/", "root@tcp(127.0.0.1:4002)/"}, accounts)
	require.Equal(t, "root@tcp(127.0.0.1:4001)/", recipes)
}

// The env file carries what the AWS SDK needs to reach the emulator, so
// the demo's configuration runs by hand after eval "$(stack env)".
func TestEnvCarriesTheEmulatorsCredentials(t *testing.T) {
	e := Env{}
	e.setKinesis("http://127.0.0.1:4567", 0)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", KeyKinesisEndpoint} {
		require.NotEmpty(t, e[k], k)
	}
	require.Contains(t, e.Shell(), "export AWS_ACCESS_KEY_ID=")
}
