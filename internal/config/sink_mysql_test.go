package config_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/sink/mysql"
)

func TestMySQLSinkParses(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_TARGET_PW", "s3cret")
	doc := "pebble: {dir: p}\nmappings: [.]\n" + source +
		"sinks:\n" +
		"  - name: target\n" +
		"    type: mysql\n" +
		"    mysql: {host: db, port: 3307, user: w, password_env: TRIBUTARY_TEST_TARGET_PW, database: app,\n" +
		"            workers: 8, rows_per_statement: 100, statements_per_txn: 5, max_queued_bytes: 8388608, on_error: record,\n" +
		"            split_runs: off}\n"
	cfg, err := config.Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
	m := cfg.Sinks[0].MySQL
	require.Equal(t, &mysql.Options{Host: "db", Port: 3307, User: "w", PasswordEnv: "TRIBUTARY_TEST_TARGET_PW",
		Database: "app", Workers: 8, RowsPerStatement: 100, StatementsPerTxn: 5, MaxQueuedBytes: 8 << 20,
		OnError: mysql.OnErrorRecord, SplitRuns: mysql.SplitOff}, m)
	require.Equal(t, "w:s3cret@tcp(db:3307)/app", m.DSN())
	require.NotContains(t, fmt.Sprintf("%v %#v %s", *m, *m, m), "s3cret")

	dsn := &mysql.Options{DataSourceName: "u:pw@tcp(h:3306)/x?tls=true"}
	require.Equal(t, "u:pw@tcp(h:3306)/x?tls=true", dsn.DSN())
	require.NotContains(t, fmt.Sprintf("%v %#v", *dsn, *dsn), "pw")
}

func TestMySQLSinkProblems(t *testing.T) {
	unsetenv(t, "TRIBUTARY_TEST_UNSET")
	tests := []struct {
		name  string
		block string // the mysql block, on line 10
		want  config.Problem
	}{
		{"missing block", "",
			config.Problem{Line: 8, Column: 5, Key: "sinks[0].mysql", Message: "is required for type mysql"}},
		{"no target", "    mysql: {workers: 2}\n",
			config.Problem{Line: 10, Column: 12, Key: "sinks[0].mysql", Message: "either dsn or host is required"}},
		{"host without user", "    mysql: {host: h}\n",
			config.Problem{Line: 10, Column: 19, Key: "sinks[0].mysql.host", Message: "user is required when host is set"}},
		{"bad dsn", "    mysql: {dsn: 'u:p@tcp(h:1)'}\n",
			config.Problem{Line: 10, Column: 18, Key: "sinks[0].mysql.dsn", Message: "invalid dsn: missing the slash separating the database name"}},
		{"dsn and host", "    mysql: {dsn: 'u:p@tcp(h:1)/', host: h}\n",
			config.Problem{Line: 10, Column: 41, Key: "sinks[0].mysql.host", Message: "cannot be combined with dsn (set it inside the dsn)"}},
		{"unset password env", "    mysql: {host: h, user: u, password_env: TRIBUTARY_TEST_UNSET}\n",
			config.Problem{Line: 10, Column: 45, Key: "sinks[0].mysql.password_env", Message: "environment variable TRIBUTARY_TEST_UNSET is not set"}},
		{"too many workers", "    mysql: {host: h, user: u, workers: 1000}\n",
			config.Problem{Line: 10, Column: 40, Key: "sinks[0].mysql.workers", Message: "must be between 1 and 256"}},
		{"negative rows", "    mysql: {host: h, user: u, rows_per_statement: -1}\n",
			config.Problem{Line: 10, Column: 51, Key: "sinks[0].mysql.rows_per_statement", Message: "must be at least 1"}},
		{"negative statements", "    mysql: {host: h, user: u, statements_per_txn: -1}\n",
			config.Problem{Line: 10, Column: 51, Key: "sinks[0].mysql.statements_per_txn", Message: "must be at least 1"}},
		{"queue room too small", "    mysql: {host: h, user: u, max_queued_bytes: 1000}\n",
			config.Problem{Line: 10, Column: 49, Key: "sinks[0].mysql.max_queued_bytes", Message: "must be at least 1048576 (1 MiB)"}},
		{"too few remembered rows", "    mysql: {host: h, user: u, remembered_rows: 100}\n",
			config.Problem{Line: 10, Column: 48, Key: "sinks[0].mysql.remembered_rows", Message: "must be at least 1024"}},
		{"bad policy", "    mysql: {host: h, user: u, on_error: skip}\n",
			config.Problem{Line: 10, Column: 41, Key: "sinks[0].mysql.on_error", Message: "must be halt or record"}},
		{"bad split setting", "    mysql: {host: h, user: u, split_runs: sometimes}\n",
			config.Problem{Line: 10, Column: 43, Key: "sinks[0].mysql.split_runs", Message: "must be on or off"}},
		{"unknown tls mode", "    mysql: {host: h, user: u, tls: {mode: yes}}\n",
			config.Problem{Line: 10, Column: 43, Key: "sinks[0].mysql.tls.mode", Message: "must be one of disabled, preferred, required, verify-ca, verify-identity"}},
		{"iam without tls", "    mysql: {host: h, user: u, iam_auth: true}\n",
			config.Problem{Line: 10, Column: 41, Key: "sinks[0].mysql.iam_auth", Message: "needs TLS: set tls.mode to required, verify-ca or verify-identity (the token is sent in clear text to the server)"}},
		{"dsn and password file", "    mysql: {dsn: 'u@tcp(h:1)/', password_file: /p}\n",
			config.Problem{Line: 10, Column: 48, Key: "sinks[0].mysql.password_file", Message: "cannot be combined with dsn: give host, port, user and database instead"}},
		{"unknown key", "    mysql: {host: h, user: u, wrokers: 2}\n",
			config.Problem{Line: 10, Column: 31, Key: "sinks[0].mysql", Message: `unknown key "wrokers"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "pebble: {dir: p}\n" + source + "sinks:\n  - name: s\n    type: mysql\n" + tt.block
			_, err := config.Parse("t.yaml", []byte(doc))
			var problems config.Problems
			require.ErrorAs(t, err, &problems)
			tt.want.File = "t.yaml"
			require.Contains(t, problems, tt.want)
		})
	}
}
