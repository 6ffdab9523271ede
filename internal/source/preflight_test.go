package source

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestPreflight(t *testing.T) {
	t.Parallel()
	type user struct{ name, grants string }
	tests := []struct {
		name     string
		args     []string
		user     *user
		serverID uint32
		history  bool
		// wantFail lists texts that must each appear in the error, nil
		// for success; wantWarn texts that must appear in the log.
		wantFail []string
		wantWarn []string
		noFail   []string
	}{
		{name: "root passes"},
		{name: "least privileged user passes", user: &user{"repl", "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO repl@'%'"}},
		{
			name: "format and row image both reported",
			args: []string{"--binlog-format=MIXED", "--binlog-row-image=MINIMAL"},
			wantFail: []string{
				"2 problems", "binlog_format is MIXED", "binlog_row_image is MINIMAL", "before images would be incomplete",
				"set binlog_format=ROW in the DB cluster parameter group", "set binlog_row_image=FULL in the DB cluster parameter group",
			},
		},
		{name: "binary log off", args: []string{"--skip-log-bin"}, wantFail: []string{"binary logging is off"}},
		{
			name: "minimal metadata without history", args: []string{"--binlog-row-metadata=MINIMAL"},
			wantFail: []string{"binlog_row_metadata is MINIMAL and no schema history", "binlog_row_metadata=FULL in the DB cluster parameter group"},
		},
		{
			name: "minimal metadata with history warns", args: []string{"--binlog-row-metadata=MINIMAL"}, history: true,
			wantWarn: []string{"binlog_row_metadata is MINIMAL", "names come from schema history"},
		},
		{
			name: "missing privileges", user: &user{"weak", "GRANT USAGE ON *.* TO weak@'%'"},
			wantFail: []string{
				"3 problems", `user "weak" lacks REPLICATION SLAVE`, "GRANT REPLICATION SLAVE ON *.* TO 'weak'@'%'",
				"may not read the binary log status", "GRANT BINLOG MONITOR ON *.*", `user "weak" lacks SELECT`, "master user",
			},
		},
		{
			name: "select on one schema warns", user: &user{"narrow", "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO narrow@'%'; GRANT SELECT ON db.* TO narrow@'%'"},
			wantWarn: []string{"has SELECT only on db"},
		},
		{name: "server id clash", serverID: 1, wantFail: []string{"equals the source's own @@server_id"}},
		{
			name: "short retention warns", args: []string{"--binlog-expire-logs-seconds=3600"},
			wantWarn: []string{"binary logs are purged after 1h0m0s", "binlog_expire_logs_seconds=3600", "CALL mysql.rds_set_configuration('binlog retention hours', 168)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startMariaDB(t, tt.args...)
			opts := testOptions(s)
			if tt.user != nil {
				s.Exec(t, "CREATE USER "+tt.user.name+"@'%' IDENTIFIED BY 'pw-"+tt.user.name+"'", tt.user.grants)
				opts.User, opts.Password = tt.user.name, "pw-"+tt.user.name
			}
			if tt.serverID != 0 {
				opts.ServerID = tt.serverID
			}
			if tt.history {
				opts.History = openHistory(t)
			}
			var logs testenv.LogBuffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			err := New(opts).Preflight(context.Background())
			if tt.wantFail == nil {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				for _, want := range tt.wantFail {
					require.Contains(t, err.Error(), want)
				}
			}
			for _, want := range tt.wantWarn {
				require.Contains(t, logs.String(), want)
			}
			require.NotContains(t, logs.String()+errText(err), "pw-", "a password leaked")
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestPreflightUnreachable(t *testing.T) {
	err := New(Options{Name: "x", Host: "127.0.0.1", Port: 1, User: "u", Password: "secret-pw", ServerID: 5}).Preflight(context.Background())
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), "secret-pw"))
}

// A DSN's tls parameter holds for the reader's own queries too: against a
// server without TLS, tls=true refuses the preflight rather than asking
// the server in plaintext.
func TestPreflightKeepsTheDSNsTLS(t *testing.T) {
	s := startMariaDB(t)
	opts := Options{Name: "x", DataSourceName: fmt.Sprintf("root@tcp(127.0.0.1:%d)/?tls=true", s.Port), ServerID: 5}
	opts.EnsureDefaults()
	err := New(opts).Preflight(t.Context())
	require.ErrorContains(t, err, "TLS")
	plain := Options{Name: "x", DataSourceName: fmt.Sprintf("root@tcp(127.0.0.1:%d)/", s.Port), ServerID: 5}
	plain.EnsureDefaults()
	require.NotContains(t, fmt.Sprint(New(plain).Preflight(t.Context())), "TLS", "the same server without tls=true")
}
