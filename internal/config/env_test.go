package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
)

func TestParseExpandsEnvironment(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_DIR", "/var/lib/tributary")
	t.Setenv("TRIBUTARY_TEST_ID", "4001")
	t.Setenv("TRIBUTARY_TEST_FLAG", "true")
	unsetenv(t, "TRIBUTARY_TEST_PORT")
	doc := "pebble:\n  dir: ${TRIBUTARY_TEST_DIR}/pebble\n" +
		"checkpoint: {interval: '${TRIBUTARY_TEST_INTERVAL:-2s}'}\n" +
		"sources:\n" +
		"  - name: a\n" +
		"    host: h\n" +
		"    port: ${TRIBUTARY_TEST_PORT:-3307}\n" +
		"    user: cost$$$$\n" +
		"    server_id: ${TRIBUTARY_TEST_ID}\n" +
		"    allow_partial_row_image: ${TRIBUTARY_TEST_FLAG}\n" +
		"sinks: [{name: s, type: jsonl, jsonl: {path: \"-\"}}]\n"
	cfg, err := config.Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
	require.Equal(t, "/var/lib/tributary/pebble", cfg.Pebble.Dir)
	require.Equal(t, "2s", cfg.Checkpoint.Interval.String())
	s := cfg.Sources[0]
	require.Equal(t, uint16(3307), s.Port)
	require.Equal(t, "cost$$", s.User)
	require.Equal(t, uint32(4001), s.ServerID)
	require.True(t, s.AllowPartialRowImage)
}

func TestParseReportsEachUnsetVariable(t *testing.T) {
	unsetenv(t, "TRIBUTARY_TEST_A")
	unsetenv(t, "TRIBUTARY_TEST_B")
	doc := "pebble: {dir: '${TRIBUTARY_TEST_A}/${TRIBUTARY_TEST_B}'}\n" +
		"sources: [{name: a, host: h, user: u, server_id: '${TRIBUTARY_TEST_A}'}]\n" +
		"sinks: [{name: s, type: jsonl, jsonl: {path: '${TRIBUTARY_TEST_B:-out}'}}]\n" +
		"unknown: ${TRIBUTARY_TEST_A}\n"
	_, err := config.Parse("t.yaml", []byte(doc))
	require.EqualError(t, err, "t.yaml:1:15: pebble.dir: environment variable TRIBUTARY_TEST_A is not set\n"+
		"t.yaml:1:15: pebble.dir: environment variable TRIBUTARY_TEST_B is not set\n"+
		"t.yaml:2:50: sources[0].server_id: environment variable TRIBUTARY_TEST_A is not set\n"+
		"t.yaml:4:1: unknown key \"unknown\"")
}

// An unset variable in a mysql sink's host is the one problem reported
// for it, as for a source's.
func TestUnsetHostIsReportedOnce(t *testing.T) {
	unsetenv(t, "TRIBUTARY_TEST_HOST")
	doc := "pebble: {dir: /tmp/p}\n" +
		"sources: [{name: a, host: '${TRIBUTARY_TEST_HOST}', user: u, server_id: 1}]\n" +
		"sinks: [{name: s, type: mysql, mysql: {host: '${TRIBUTARY_TEST_HOST}', user: u, database: d}}]\n" +
		"mappings: [m.yaml]\n"
	_, err := config.Parse("t.yaml", []byte(doc))
	require.ErrorContains(t, err, "t.yaml:2:27: sources[0].host: environment variable TRIBUTARY_TEST_HOST is not set\n"+
		"t.yaml:3:46: sinks[0].mysql.host: environment variable TRIBUTARY_TEST_HOST is not set\n")
	require.NotContains(t, err.Error(), "either dsn or host is required")
}
