package config_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
)

// head opens every document of TestParseProblems; the cases start on line 3.
const head = "pebble: {dir: p}\n" +
	"sinks: [{name: out, type: jsonl, jsonl: {path: \"-\"}}]\n"

// source is a valid source entry on lines 3 to 7 after head.
const source = "sources:\n" +
	"  - name: a\n" +
	"    host: h\n" +
	"    user: u\n" +
	"    server_id: 1\n"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string // appended to head
		want config.Problem
	}{
		{"unknown key", source + "    srever_id: 2\n",
			config.Problem{Line: 8, Column: 5, Key: "sources[0]", Message: `unknown key "srever_id"`}},
		{"unknown top-level key", source + "sink: []\n",
			config.Problem{Line: 8, Column: 1, Message: `unknown key "sink"`}},
		{"duplicate key", source + "    server_id: 2\n",
			config.Problem{Line: 8, Column: 5, Key: "sources[0].server_id", Message: "duplicate key"}},
		{"integer expected", "sources:\n  - {name: a, host: h, user: u, server_id: abc}\n",
			config.Problem{Line: 4, Column: 44, Key: "sources[0].server_id", Message: "must be an integer"}},
		{"integer expected, not a list", "sources:\n  - {name: a, host: h, user: u, server_id: [1]}\n",
			config.Problem{Line: 4, Column: 44, Key: "sources[0].server_id", Message: "must be an integer"}},
		{"integer expected, not a fraction", "sources:\n  - {name: a, host: h, user: u, server_id: 1.5}\n",
			config.Problem{Line: 4, Column: 44, Key: "sources[0].server_id", Message: "must be an integer"}},
		{"server id out of range", "sources:\n  - {name: a, host: h, user: u, server_id: 4294967296}\n",
			config.Problem{Line: 4, Column: 44, Key: "sources[0].server_id", Message: "must be between 1 and 4294967295"}},
		{"server id zero", "sources:\n  - {name: a, host: h, user: u, server_id: 0}\n",
			config.Problem{Line: 4, Column: 44, Key: "sources[0].server_id", Message: "must be between 1 and 4294967295"}},
		{"negative port", source + "    port: -1\n",
			config.Problem{Line: 8, Column: 11, Key: "sources[0].port", Message: "must be between 1 and 65535"}},
		{"port too large", source + "    port: 65536\n",
			config.Problem{Line: 8, Column: 11, Key: "sources[0].port", Message: "must be between 1 and 65535"}},
		{"boolean expected", source + "    allow_partial_row_image: yes\n",
			config.Problem{Line: 8, Column: 30, Key: "sources[0].allow_partial_row_image", Message: "must be true or false"}},
		{"unknown tls mode", source + "    tls: {mode: on}\n",
			config.Problem{Line: 8, Column: 17, Key: "sources[0].tls.mode", Message: "must be one of disabled, preferred, required, verify-ca, verify-identity"}},
		{"missing CA file", source + "    tls: {mode: verify-ca, ca_file: /nonexistent/ca.pem}\n",
			config.Problem{Line: 8, Column: 37, Key: "sources[0].tls.ca_file", Message: "reading CA file: open /nonexistent/ca.pem: no such file or directory"}},
		{"iam without tls", source + "    iam_auth: true\n",
			config.Problem{Line: 8, Column: 15, Key: "sources[0].iam_auth", Message: "needs TLS: set tls.mode to required, verify-ca or verify-identity (the token is sent in clear text to the server)"}},
		{"missing password file", source + "    password_file: /nonexistent/pw\n",
			config.Problem{Line: 8, Column: 20, Key: "sources[0].password_file", Message: "reading password file: open /nonexistent/pw: no such file or directory"}},
		{"two passwords", source + "    tls: {mode: required}\n    password_secret: arn:aws:secretsmanager:eu-west-1:1:secret:x\n    iam_auth: true\n",
			config.Problem{Line: 10, Column: 15, Key: "sources[0].iam_auth", Message: "cannot be combined with password_secret: give the password one way"}},
		{"unknown start", source + "    start: latest\n",
			config.Problem{Line: 8, Column: 12, Key: "sources[0].start", Message: "must be current, earliest or gtid:SET (a GTID set)"}},
		{"profiler on a public address", source + "http: {listen: '0.0.0.0:9107', pprof: true}\n",
			config.Problem{Line: 8, Column: 39, Key: "http.pprof", Message: "serves the profiler, which can expose memory contents, only on a loopback http.listen address (127.0.0.1 or [::1]) or behind http.token_env; 0.0.0.0:9107 is not one"}},
		{"token variable unset", source + "http: {listen: '127.0.0.1:9107', token_env: TRIBUTARY_TEST_UNSET_TOKEN}\n",
			config.Problem{Line: 8, Column: 45, Key: "http.token_env", Message: "environment variable TRIBUTARY_TEST_UNSET_TOKEN must hold a token of at least 16 characters"}},
		{"profiler without an address", source + "http: {pprof: true}\n",
			config.Problem{Line: 8, Column: 15, Key: "http.pprof", Message: "needs http.listen"}},
		{"unknown backfill", source + "    backfill: always\n",
			config.Problem{Line: 8, Column: 15, Key: "sources[0].backfill", Message: "must be initial or never"}},
		{"backfill chunk too large", source + "    backfill_chunk_rows: 1000000\n",
			config.Problem{Line: 8, Column: 26, Key: "sources[0].backfill_chunk_rows", Message: "must be between 1 and 100000"}},
		{"backfill workers too many", source + "    backfill_workers: 17\n",
			config.Problem{Line: 8, Column: 23, Key: "sources[0].backfill_workers", Message: "must be between 1 and 16"}},
		{"backfill chunk max below the start", source + "    backfill_chunk_rows: 5000\n    backfill_chunk_rows_max: 2000\n",
			config.Problem{Line: 9, Column: 30, Key: "sources[0].backfill_chunk_rows_max", Message: "must not be below backfill_chunk_rows (5000)"}},
		{"backfill chunk time too short", source + "    backfill_chunk_time: 1ms\n",
			config.Problem{Line: 8, Column: 26, Key: "sources[0].backfill_chunk_time", Message: "must be between 10ms and 1m"}},
		{"negative backfill rate (unset is no cap)", source + "    backfill_max_rows_per_second: -5\n",
			config.Problem{Line: 8, Column: 35, Key: "sources[0].backfill_max_rows_per_second", Message: "must be at least 1"}},
		{"negative threads limit (unset is off)", source + "    backfill_max_threads_running: -1\n",
			config.Problem{Line: 8, Column: 35, Key: "sources[0].backfill_max_threads_running", Message: "must be at least 1"}},
		{"unknown backfill watermarks", source + "    backfill_watermarks: binlog\n",
			config.Problem{Line: 8, Column: 26, Key: "sources[0].backfill_watermarks", Message: "must be table or gtid"}},
		{"backfill read host with a password file", source + "    backfill_watermarks: gtid\n    backfill_read_host: replica\n    password_file: /dev/null\n",
			config.Problem{Line: 9, Column: 25, Key: "sources[0].backfill_read_host", Message: "cannot be combined yet with tls, password_file, password_secret or iam_auth (the read host is reached with the source's user and password_env only, without TLS)"}},
		{"backfill read host with table watermarks", source + "    backfill_read_host: replica\n",
			config.Problem{Line: 8, Column: 25, Key: "sources[0].backfill_read_host", Message: "needs backfill_watermarks: gtid (table watermarks are written to the writer, and a chunk must then be read where they were written)"}},
		{"backfill read port without a host", source + "    backfill_watermarks: gtid\n    backfill_read_port: 3307\n",
			config.Problem{Line: 9, Column: 25, Key: "sources[0].backfill_read_port", Message: "needs backfill_read_host"}},
		{"parallel backfill workers with gtid watermarks", source + "    backfill_watermarks: gtid\n    backfill_workers: 4\n",
			config.Problem{Line: 9, Column: 23, Key: "sources[0].backfill_workers", Message: "must be 1 with backfill_watermarks: gtid (a source with GTID watermarks copies one chunk at a time; leave it unset)"}},
		{"start without a GTID set", source + "    start: \"gtid:\"\n",
			config.Problem{Line: 8, Column: 12, Key: "sources[0].start", Message: "gtid: needs a GTID set, for example gtid:0-1-100 (MariaDB) or gtid:3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100 (MySQL)"}},
		{"start with a GTID set of neither flavor", source + "    flavor: mariadb\n    start: gtid:0-1\n",
			config.Problem{Line: 9, Column: 12, Key: "sources[0].start", Message: `invalid GTID set: parsing mariadb GTID set "0-1": invalid Mariadb GTID 0-1, must domain-server-sequence`}},
		{"repeated key of another type", source + "    user: {name: u}\n",
			config.Problem{Line: 8, Column: 5, Key: "sources[0].user", Message: "duplicate key"}},
		{"string expected, not a mapping", "sources:\n  - {name: a, host: [h], user: u, server_id: 1}\n",
			config.Problem{Line: 4, Column: 21, Key: "sources[0].host", Message: "must be a string"}},
		{"list expected", "sources: {name: a}\n",
			config.Problem{Line: 3, Column: 10, Key: "sources", Message: "must be a list"}},
		{"mapping expected", source + "log: debug\n",
			config.Problem{Line: 8, Column: 6, Key: "log", Message: "must be a mapping"}},
		{"missing name", "sources:\n  - host: h\n    user: u\n    server_id: 1\n",
			config.Problem{Line: 4, Column: 5, Key: "sources[0].name", Message: "is required"}},
		{"missing server id", "sources:\n  - name: a\n    host: h\n    user: u\n",
			config.Problem{Line: 4, Column: 5, Key: "sources[0].server_id", Message: "is required"}},
		{"missing user", "sources:\n  - name: a\n    host: h\n    server_id: 1\n",
			config.Problem{Line: 4, Column: 5, Key: "sources[0].user", Message: "is required when host is set"}},
		{"neither dsn nor host", "sources:\n  - name: a\n    server_id: 1\n",
			config.Problem{Line: 4, Column: 5, Key: "sources[0]", Message: "either dsn or host is required"}},
		{"missing sources", "",
			config.Problem{Line: 1, Column: 1, Key: "sources", Message: "at least one source is required"}},
		{"empty sources", "sources: []\n",
			config.Problem{Line: 3, Column: 10, Key: "sources", Message: "at least one source is required"}},
		{"invalid name", "sources:\n  - {name: Jp.Accounts, host: h, user: u, server_id: 1}\n",
			config.Problem{Line: 4, Column: 12, Key: "sources[0].name", Message: `invalid name "Jp.Accounts": must match [a-z0-9][a-z0-9_-]*`}},
		{"duplicate source name", source + "  - {name: a, host: h, user: u, server_id: 2}\n",
			config.Problem{Line: 8, Column: 12, Key: "sources[1].name", Message: `duplicate name "a" (also sources[0])`}},
		{"duplicate server id", source + "  - {name: b, host: h, user: u, server_id: 1}\n",
			config.Problem{Line: 8, Column: 44, Key: "sources[1].server_id", Message: "duplicate server_id 1 (also sources[0])"}},
		{"invalid flavor", source + "    flavor: percona\n",
			config.Problem{Line: 8, Column: 13, Key: "sources[0].flavor", Message: "must be one of auto, mysql, mariadb"}},
		{"dsn and host", "sources:\n  - name: a\n    dsn: u:p@tcp(h:1)/\n    host: h\n    server_id: 1\n",
			config.Problem{Line: 6, Column: 11, Key: "sources[0].host", Message: "dsn and host are mutually exclusive"}},
		{"dsn and port", "sources:\n  - name: a\n    dsn: u:p@tcp(h:1)/\n    port: 1\n    server_id: 1\n",
			config.Problem{Line: 6, Column: 11, Key: "sources[0].port", Message: "cannot be combined with dsn (set it inside the dsn)"}},
		{"dsn without slash", "sources:\n  - name: a\n    dsn: u:p@tcp(h:1)\n    server_id: 1\n",
			config.Problem{Line: 5, Column: 10, Key: "sources[0].dsn", Message: "invalid dsn: missing the slash separating the database name"}},
		{"dsn without user", "sources:\n  - name: a\n    dsn: tcp(h:1)/\n    server_id: 1\n",
			config.Problem{Line: 5, Column: 10, Key: "sources[0].dsn", Message: "invalid dsn: user is missing"}},
		{"dsn over a socket", "sources:\n  - name: a\n    dsn: u@unix(/tmp/s)/\n    server_id: 1\n",
			config.Problem{Line: 5, Column: 10, Key: "sources[0].dsn", Message: "invalid dsn: network must be tcp(host:port)"}},
		{"unset password variable", source + "    password_env: TRIBUTARY_TEST_UNSET\n",
			config.Problem{Line: 8, Column: 19, Key: "sources[0].password_env", Message: "environment variable TRIBUTARY_TEST_UNSET is not set"}},
		{"unset variable in a value", "sources:\n  - {name: a, host: '${TRIBUTARY_TEST_UNSET}', user: u, server_id: 1}\n",
			config.Problem{Line: 4, Column: 21, Key: "sources[0].host", Message: "environment variable TRIBUTARY_TEST_UNSET is not set"}},
		{"invalid duration", source + "checkpoint: {interval: 5 minutes}\n",
			config.Problem{Line: 8, Column: 24, Key: "checkpoint.interval", Message: `invalid duration "5 minutes" (use a unit, such as 500ms or 2s)`}},
		{"duration too short", source + "checkpoint: {interval: 5ms}\n",
			config.Problem{Line: 8, Column: 24, Key: "checkpoint.interval", Message: "must be between 10ms and 1m0s"}},
		{"duration too long", source + "checkpoint: {interval: 2m}\n",
			config.Problem{Line: 8, Column: 24, Key: "checkpoint.interval", Message: "must be between 10ms and 1m0s"}},
		{"stop grace too long", source + "checkpoint: {stop_grace: 2h}\n",
			config.Problem{Line: 8, Column: 26, Key: "checkpoint.stop_grace", Message: "must be between 1ms and 1h0m0s"}},
		{"negative duration", source + "checkpoint: {interval: -1s}\n",
			config.Problem{Line: 8, Column: 24, Key: "checkpoint.interval", Message: "must be between 10ms and 1m0s"}},
		{"invalid log level", source + "log: {level: trace}\n",
			config.Problem{Line: 8, Column: 14, Key: "log.level", Message: "must be one of debug, info, warn, error"}},
		{"invalid log format", source + "log: {format: xml}\n",
			config.Problem{Line: 8, Column: 15, Key: "log.format", Message: "must be auto, text or json"}},
		{"merge key", source + "<<: {log: {}}\n",
			config.Problem{Line: 8, Column: 1, Message: "merge keys (<<) are not supported"}},
		{"syntax error", source + "log: [\n",
			config.Problem{Line: 9, Message: "invalid YAML: did not find expected node content"}},
		{"second document", source + "---\nlog: {}\n",
			config.Problem{Line: 8, Message: "only one YAML document is allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unsetenv(t, "TRIBUTARY_TEST_UNSET")
			_, err := config.Parse("t.yaml", []byte(head+tt.doc))
			var problems config.Problems
			require.ErrorAs(t, err, &problems)
			tt.want.File = "t.yaml"
			require.Equal(t, config.Problems{tt.want}, problems)
		})
	}
}

func TestParseSinkProblems(t *testing.T) {
	tests := []struct {
		name  string
		sinks string // the sinks key, from line 7
		want  config.Problem
	}{
		{"missing sinks", "",
			config.Problem{Line: 1, Column: 1, Key: "sinks", Message: "at least one sink is required"}},
		{"missing type", "sinks:\n  - name: s\n",
			config.Problem{Line: 8, Column: 5, Key: "sinks[0].type", Message: "is required"}},
		{"unknown type", "sinks:\n  - name: s\n    type: kafka\n",
			config.Problem{Line: 9, Column: 11, Key: "sinks[0].type", Message: `unknown sink type "kafka" (known: jsonl, mysql, kinesis)`}},
		{"missing jsonl block", "sinks:\n  - name: s\n    type: jsonl\n",
			config.Problem{Line: 8, Column: 5, Key: "sinks[0].jsonl.path", Message: "is required for type jsonl"}},
		{"missing jsonl path", "sinks:\n  - name: s\n    type: jsonl\n    jsonl: {}\n",
			config.Problem{Line: 10, Column: 12, Key: "sinks[0].jsonl.path", Message: "is required"}},
		{"block of another type", "sinks:\n  - name: s\n    type: mysql\n    jsonl: {path: x}\n",
			config.Problem{Line: 10, Column: 12, Key: "sinks[0].jsonl", Message: "is only allowed with type jsonl"}},
		{"duplicate sink name", "sinks:\n  - {name: s, type: jsonl, jsonl: {path: a}}\n  - {name: s, type: jsonl, jsonl: {path: b}}\n",
			config.Problem{Line: 9, Column: 12, Key: "sinks[1].name", Message: `duplicate name "s" (also sinks[0])`}},
		{"missing sink name", "sinks:\n  - {type: jsonl, jsonl: {path: a}}\n",
			config.Problem{Line: 8, Column: 5, Key: "sinks[0].name", Message: "is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("t.yaml", []byte("pebble: {dir: p}\n"+source+tt.sinks))
			var problems config.Problems
			require.ErrorAs(t, err, &problems)
			tt.want.File = "t.yaml"
			require.Contains(t, problems, tt.want)
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	unsetenv(t, "TRIBUTARY_TEST_UNSET")
	doc := "log: {level: loud}\n" + // 1
		"checkpoint: {interval: soon}\n" + // 2
		"sources:\n" + // 3
		"  - name: a\n" + // 4
		"    host: ${TRIBUTARY_TEST_UNSET}\n" + // 5
		"    server_id: 1\n" + // 6
		"  - name: a\n" + // 7
		"    dsn: u:p@tcp(h:1)/\n" + // 8
		"    user: v\n" + // 9
		"    server_id: 1\n" + // 10
		"sinks: [{name: s, type: jsonl, jsonl: {path: o}, extra: 1}]\n" // 11
	_, err := config.Parse("t.yaml", []byte(doc))
	var problems config.Problems
	require.ErrorAs(t, err, &problems)
	require.Equal(t, "t.yaml:1:1: pebble.dir: is required\n"+
		"t.yaml:1:14: log.level: must be one of debug, info, warn, error\n"+
		"t.yaml:2:24: checkpoint.interval: invalid duration \"soon\" (use a unit, such as 500ms or 2s)\n"+
		"t.yaml:5:11: sources[0].host: environment variable TRIBUTARY_TEST_UNSET is not set\n"+
		"t.yaml:7:11: sources[1].name: duplicate name \"a\" (also sources[0])\n"+
		"t.yaml:9:11: sources[1].user: cannot be combined with dsn (set it inside the dsn)\n"+
		"t.yaml:10:16: sources[1].server_id: duplicate server_id 1 (also sources[0])\n"+
		"t.yaml:11:50: sinks[0]: unknown key \"extra\"",
		err.Error())
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    config.Problem
		want string
	}{
		{config.Problem{File: "f.yaml", Line: 3, Column: 7, Key: "a.b", Message: "m"}, "f.yaml:3:7: a.b: m"},
		{config.Problem{File: "f.yaml", Line: 3, Message: "m"}, "f.yaml:3: m"},
		{config.Problem{File: "f.yaml", Key: "a", Message: "m"}, "f.yaml: a: m"},
		{config.Problem{Key: "sources[0].name", Message: "is required"}, "sources[0].name: is required"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.p.String())
	}
	var err error = config.Problems{tests[0].p, tests[3].p}
	require.Equal(t, "f.yaml:3:7: a.b: m\nsources[0].name: is required", err.Error())
	require.True(t, errors.As(err, &config.Problems{}))
}
