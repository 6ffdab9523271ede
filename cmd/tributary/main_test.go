package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// execute runs the command line args and returns its output and error.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

func TestConfigCheckListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`pebble:
  dir: state
sources:
  - name: Bad Name
    host: 127.0.0.1
    srever_id: 1
sinks:
  - name: out
    type: jsonl
`), 0o600))
	_, err := execute(t, "config", "check", "--config", path)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		path + ":4:11: sources[0].name:",
		path + ":6:5: sources[0]: unknown key \"srever_id\"",
		"sources[0].server_id: is required",
		"sources[0].user: is required when host is set",
		path + ":8:5: sinks[0].jsonl.path: is required for type jsonl",
	} {
		require.Contains(t, msg, want)
	}
	require.GreaterOrEqual(t, strings.Count(msg, "\n"), 4, "one line per problem:\n%s", msg)
}

func TestConfigCheckAcceptsAGoodFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`pebble:
  dir: state
sources:
  - name: alpha
    host: 127.0.0.1
    user: tributary
    server_id: 1
sinks:
  - name: out
    type: jsonl
    jsonl:
      path: "-"
`), 0o600))
	out, err := execute(t, "config", "check", "--config", path)
	require.NoError(t, err)
	require.Equal(t, path+": ok\n", out)
}

func TestCheckpointSetNeedsOnePosition(t *testing.T) {
	_, err := execute(t, "checkpoint", "set", "--source", "alpha")
	require.ErrorContains(t, err, "give one of --gtid, --file with --pos, or --from-dms")
	_, err = execute(t, "checkpoint", "set", "--source", "alpha", "--gtid", "0-1-5", "--from-dms", "mysql-bin.000001:4")
	require.ErrorContains(t, err, "give one of")
}
