package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/demo"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	env := demo.Env{"JP_ACCOUNTS_ROOT_DSN": "root@tcp(127.0.0.1:3306)/", "JP_ACCOUNTS_PORT": "3306"}
	require.NoError(t, env.Write(filepath.Join(dir, demo.EnvFile)))

	tests := []struct {
		name    string
		args    []string
		stdout  string
		wantErr string
	}{
		{name: "no command", args: nil, wantErr: "want one command"},
		{name: "two commands", args: []string{"up", "down"}, wantErr: "want one command"},
		{name: "unknown command", args: []string{"-dir", dir, "start"}, wantErr: `unknown command "start"`},
		{name: "env without stack", args: []string{"-dir", t.TempDir(), "env"}, wantErr: "make up"},
		{name: "down without stack", args: []string{"-dir", t.TempDir(), "down"}},
		{
			name:   "env",
			args:   []string{"-dir", dir, "env"},
			stdout: "export JP_ACCOUNTS_PORT=3306\nexport JP_ACCOUNTS_ROOT_DSN='root@tcp(127.0.0.1:3306)/'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.stdout, stdout.String())
		})
	}
}
