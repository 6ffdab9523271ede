package dsn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	p, err := Parse("repl:s3cret@tcp(db.example:3307)/?tls=true")
	require.NoError(t, err)
	require.Equal(t, "db.example", p.Host)
	require.Equal(t, uint16(3307), p.Port)
	require.Equal(t, "repl", p.Config.User)
	require.Equal(t, "true", p.Config.TLSConfig)

	for dsn, want := range map[string]string{
		"u:hunter2@unix(/tmp/s)/":     "network must be tcp(host:port)",
		"u:hunter2@tcp(h:0)/":         "port must be between 1 and 65535",
		"u:hunter2@tcp(:3306)/":       "host is empty",
		":hunter2@tcp(h:3306)/":       "user is missing",
		"u:hunter2@tcp(h:1)":          "missing the slash separating the database name",
		"u:hunter2@tcp(h:1)/?x=%zz&y": "not a go-sql-driver/mysql DSN (user:password@tcp(host:port)/)",
	} {
		_, err := Parse(dsn)
		require.EqualError(t, err, want, dsn)
		require.NotContains(t, err.Error(), "hunter2")
	}
	require.Equal(t, "repl@db.example:3307", Describe("repl:s3cret@tcp(db.example:3307)/"))
	require.Equal(t, "(invalid dsn)", Describe("repl:s3cret@tcp(db.example:0)/"))
}

func TestBuild(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_DSN_PW", "s3cret")
	got, err := Parse(Build("db.internal", 0, "app", "TRIBUTARY_TEST_DSN_PW", "global"))
	require.NoError(t, err)
	require.Equal(t, "db.internal", got.Host)
	require.Equal(t, uint16(DefaultPort), got.Port)
	require.Equal(t, "app", got.Config.User)
	require.Equal(t, "s3cret", got.Config.Passwd)
	require.Equal(t, "global", got.Config.DBName)
}
