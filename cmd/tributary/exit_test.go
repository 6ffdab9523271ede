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
