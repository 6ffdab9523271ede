package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("pebble: {dir: p}\n"), 0o600))
	mapping := filepath.Join(dir, "m.yaml")
	require.NoError(t, os.WriteFile(mapping, []byte("target: g.t\n"), 0o600))
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, exitOK},
		{"config check finds problems", []string{"config", "check", "--config", bad}, exitFound},
		{"mappings check finds problems", []string{"mappings", "check", "--config", filepath.Join(dir, "none.yaml"), mapping}, exitFound},
		{"config file missing", []string{"config", "check", "--config", filepath.Join(dir, "none.yaml")}, exitError},
		{"unknown flag", []string{"config", "check", "--nope"}, exitError},
		{"unknown command", []string{"nope"}, exitError},
		{"run on a bad config", []string{"run", "--config", bad}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := execute(t, tt.args...)
			require.Equal(t, tt.want, exitCode(err), "error: %v", err)
		})
	}
}

// checkpoint show and failed list read the store only, and mappings
// check the files: they run without the passwords the configuration
// names.
func TestOfflineCommandsNeedNoPasswords(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`pebble: {dir: store}
sources:
  - {name: a, host: h, user: u, password_env: TRIBUTARY_TEST_NEVER_SET, server_id: 1}
  - {name: b, host: h, user: u, password_file: /nonexistent/tributary-pw, server_id: 2}
sinks: [{name: out, type: jsonl, jsonl: {path: out.jsonl}}]
mappings: [m.yaml]
`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(`target: g.t
key: [id]
sources: [{source: a, table: s.t, columns: {id: id}}]
`), 0o600))
	out, err := execute(t, "mappings", "check", "--config", cfg)
	require.NoError(t, err, out)
	_, err = execute(t, "checkpoint", "show", "--config", cfg)
	require.NoError(t, err)
	_, err = execute(t, "failed", "list", "--config", cfg)
	require.NoError(t, err)
	_, err = execute(t, "config", "check", "--config", cfg)
	require.ErrorContains(t, err, "environment variable TRIBUTARY_TEST_NEVER_SET is not set", "commands that connect still need it")
	require.ErrorContains(t, err, "reading password file: open /nonexistent/tributary-pw")
}
