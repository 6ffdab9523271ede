package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	srcpkg "github.com/tributary-cdc/tributary/internal/source"
)

// awkward is a password with every character that DSN syntax gives a
// meaning to, plus YAML and shell ones.
const awkward = `p@ss:w/rd?x=1&y#(z)%20'"$`

func TestSourceResolution(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_PW", awkward)
	tests := []struct {
		name     string
		source   string // a YAML flow mapping
		want     sourceFields
		wantTLS  string
		wantTime time.Duration
	}{
		{
			name:   "dsn with password from the environment",
			source: `{name: a, server_id: 1, dsn: "repl:${TRIBUTARY_TEST_PW}@tcp(db.internal:3307)/"}`,
			want:   sourceFields{"a", "db.internal", 3307, "repl", awkward, "", srcpkg.FlavorAuto, 1, false},
		},
		{
			name:    "dsn with literal special characters",
			source:  `{name: a, server_id: 1, dsn: "repl:p@ss:w/rd?(x)$$y@tcp(127.0.0.1:3306)/?tls=skip-verify&timeout=3s"}`,
			want:    sourceFields{"a", "127.0.0.1", 3306, "repl", "p@ss:w/rd?(x)$y", "", srcpkg.FlavorAuto, 1, false},
			wantTLS: "skip-verify", wantTime: 3 * time.Second,
		},
		{
			name:   "dsn without port",
			source: `{name: a, server_id: 1, dsn: "repl@tcp(db)/"}`,
			want:   sourceFields{"a", "db", 3306, "repl", "", "", srcpkg.FlavorAuto, 1, false},
		},
		{
			name:   "dsn with IPv6 address",
			source: `{name: a, server_id: 1, dsn: "repl:x@tcp([::1]:3310)/"}`,
			want:   sourceFields{"a", "::1", 3310, "repl", "x", "", srcpkg.FlavorAuto, 1, false},
		},
		{
			name:   "host with password_env",
			source: `{name: a, server_id: 1, host: db, user: repl, password_env: TRIBUTARY_TEST_PW, flavor: mysql}`,
			want:   sourceFields{"a", "db", 3306, "repl", awkward, "TRIBUTARY_TEST_PW", change.MySQL, 1, false},
		},
		{
			name:   "host without password",
			source: `{name: a, server_id: 1, host: db, port: 3399, user: repl}`,
			want:   sourceFields{"a", "db", 3399, "repl", "", "", srcpkg.FlavorAuto, 1, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "pebble: {dir: p}\nsinks: [{name: s, type: jsonl, jsonl: {path: '-'}}]\nsources:\n  - " + tt.source + "\n"
			cfg, err := config.Parse("t.yaml", []byte(doc))
			require.NoError(t, err)
			require.Equal(t, []sourceFields{tt.want}, fieldsOf(cfg.Sources))

			dsn := cfg.Sources[0].DSN("shop")
			got, err := mysql.ParseDSN(dsn)
			require.NoError(t, err, "DSN() must parse back")
			require.Equal(t, tt.want.User, got.User)
			require.Equal(t, tt.want.Password, got.Passwd)
			require.Equal(t, "tcp", got.Net)
			require.Equal(t, fmt.Sprintf("%s:%d", bracket(tt.want.Host), tt.want.Port), got.Addr)
			require.Equal(t, "shop", got.DBName)
			require.False(t, got.ParseTime)
			require.True(t, got.InterpolateParams)
			require.Equal(t, time.UTC, got.Loc)
			require.Equal(t, "'+00:00'", got.Params["time_zone"])
			require.Contains(t, dsn, "charset=utf8mb4")
			require.Equal(t, tt.wantTLS, got.TLSConfig, "parameters of the dsn are kept")
			require.Equal(t, tt.wantTime, got.Timeout)
		})
	}
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

func TestSourceNeverPrintsPassword(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_PW", "hunter2-secret")
	doc := "pebble: {dir: p}\n" +
		"sinks: [{name: s, type: jsonl, jsonl: {path: '-'}}]\n" +
		"sources:\n" +
		"  - {name: a, server_id: 1, dsn: 'repl:${TRIBUTARY_TEST_PW}@tcp(h:1)/'}\n" +
		"  - {name: b, server_id: 2, host: h, user: u, password_env: TRIBUTARY_TEST_PW}\n"
	cfg, err := config.Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
	for _, s := range cfg.Sources {
		require.Equal(t, "hunter2-secret", s.Password)
	}

	var logs bytes.Buffer
	text := slog.New(slog.NewTextHandler(&logs, nil))
	jsonLog := slog.New(slog.NewJSONHandler(&logs, nil))
	for _, s := range cfg.Sources {
		text.Info("source", "source", s)
		jsonLog.Info("source", "source", s)
		text.Info("source", "ptr", &s)
	}
	text.Info("config", "config", cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)

	outputs := map[string]string{
		"logs": logs.String(),
		"json": string(js),
		"%v":   fmt.Sprintf("%v", *cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"%s":   fmt.Sprintf("%s", cfg.Sources),
	}
	for name, out := range outputs {
		require.NotContains(t, out, "hunter2", name)
	}
	require.Contains(t, logs.String(), "source.host=h")
	require.Equal(t, "a (repl@h:1)", cfg.Sources[0].String())
}
