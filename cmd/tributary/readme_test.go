package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// readmeBlock is one ```yaml block of the README, with its first line and
// the README's path (relative paths in it are the repository's).
type readmeBlock struct {
	line       int
	text, path string
}

// yamlBlocks returns the README's YAML examples.
func yamlBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	root, _ := moduleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	var out []readmeBlock
	var cur *readmeBlock
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &readmeBlock{line: i + 2, path: filepath.Join(root, "README.md")}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	require.NotEmpty(t, out, "the README has YAML examples")
	return out
}

// TestReadmeExamplesAreAccepted runs every YAML example of the README
// through the check its kind gets: service configurations and sink blocks
// through config check, mappings through the mapping loader, so that an
// example a user copies works.
func TestReadmeExamplesAreAccepted(t *testing.T) {
	for _, env := range []string{"JP_ACCOUNTS_PASSWORD", "RECIPES_PW", "TARGET_PASSWORD"} {
		t.Setenv(env, "example")
	}
	ca, err := testenv.NewTestCA(t.TempDir(), "rds")
	require.NoError(t, err)
	t.Setenv("RDS_CA_BUNDLE", ca.CAFile)
	const service = "pebble: {dir: p}\nsources: [{name: a, host: h, user: u, server_id: 1}]\nsinks:\n"
	for _, b := range yamlBlocks(t) {
		var err error
		switch {
		case strings.HasPrefix(b.text, "target:"):
			_, err = mapping.Parse("README.md", []byte(b.text), nil)
		case strings.HasPrefix(b.text, "  - name:"):
			_, err = config.Parse(b.path, []byte(service+b.text))
		default:
			_, err = config.Parse(b.path, []byte(b.text))
		}
		require.NoError(t, err, "the README's YAML example at line %d", b.line)
	}
}

// runbookCommands returns the tributary command lines of the README's
// section titled title (a runbook): those of its sh blocks and its inline
// code.
func runbookCommands(t *testing.T, title string) []string {
	t.Helper()
	root, _ := moduleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "\n## "+title+"\n")
	require.True(t, ok, "the README has a section %q", title)
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var out []string
	inSh := false
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "```sh":
			inSh = true
		case strings.HasPrefix(line, "```"):
			inSh = false
		case inSh && strings.HasPrefix(line, "tributary "):
			out = append(out, line)
		case !inSh:
			for _, span := range strings.Split(line, "`")[1:] {
				if strings.HasPrefix(span, "tributary ") {
					out = append(out, span)
				}
			}
		}
	}
	return out
}

// Every tributary command the runbook names exists, with the flags it is
// given: a runbook whose step fails is worse than none.
func TestRunbookCommandsExist(t *testing.T) {
	lines := runbookCommands(t, "Zero-downtime migration runbook")
	require.GreaterOrEqual(t, len(lines), 8, "%q", lines)
	dms := runbookCommands(t, "Moving from DMS")
	require.GreaterOrEqual(t, len(dms), 4, "%q", dms)
	lines = append(lines, dms...)
	for _, line := range lines {
		words := shellWords(line)
		found, rest, err := newRoot().Find(words[1:])
		require.NoError(t, err, "runbook command %q", line)
		require.NotEqual(t, "tributary", found.Name(), "runbook command %q names no subcommand", line)
		require.NoError(t, found.ParseFlags(rest), "runbook command %q", line)
		require.NoError(t, found.ValidateArgs(found.Flags().Args()), "runbook command %q", line)
		require.True(t, found.Runnable(), "runbook command %q names a command that does nothing", line)
	}
}
