package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// Every command's help shows at least one example, and every example is
// a command line this binary accepts: its command exists, its flags parse
// and its arguments fit.
func TestEveryCommandHasValidExamples(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		require.NotEmpty(t, cmd.Example, "%s has no example", cmd.CommandPath())
		for _, line := range strings.Split(cmd.Example, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			words := shellWords(line)
			require.Equal(t, "tributary", words[0], "%s: example %q", cmd.CommandPath(), line)
			root := newRoot()
			found, rest, err := root.Find(words[1:])
			require.NoError(t, err, "example %q", line)
			require.NoError(t, found.ParseFlags(rest), "example %q", line)
			require.NoError(t, found.ValidateArgs(found.Flags().Args()), "example %q", line)
			require.True(t, found.Runnable(), "example %q names a command that does nothing", line)
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
}

// Bad values on the command line are named with what they should be, not
// with the parser's message.
func TestBadArgumentsSayWhatTheyWant(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"failed", "show", "abc"},
			`the ID of a failed change is a whole number, as tributary failed list prints it, not "abc"`},
		{[]string{"checkpoint", "set", "--source", "a", "--file", "f", "--pos", "abc"},
			`--pos "abc": the value must be a whole number from 0 to 4294967295`},
		{[]string{"checkpoint", "set", "--source", "a", "--file", "f", "--pos", "999999999999"},
			`--pos "999999999999": the value must be a whole number from 0 to 4294967295`},
		{[]string{"status", "--timeout", "soon"}, `--timeout "soon": the value must be a duration such as 90s or 2m`},
	}
	for _, tt := range tests {
		_, err := execute(t, tt.args...)
		require.EqualError(t, err, tt.want)
		require.NotContains(t, err.Error(), "strconv")
	}
}

// The error a command ends with is printed once: as text, or, when the
// configuration's log format is json, as a JSON log line.
func TestFinalErrorFollowsTheLogFormat(t *testing.T) {
	// Commands of earlier tests may have set it (a configuration's log
	// format is auto, and stderr is no terminal here).
	errorLogger = nil
	t.Cleanup(func() { errorLogger = nil })
	var out bytes.Buffer
	printError(&out, errors.New("reading source a: refused"), 2)
	require.Equal(t, "tributary: reading source a: refused\n", out.String())

	dir := t.TempDir()
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte("log: {format: json}\npebble: {dir: p}\n"+
		"sources: [{name: a, host: 127.0.0.1, user: u, server_id: 1}]\n"+
		"sinks: [{name: out, type: jsonl, jsonl: {path: out.jsonl}}]\n"), 0o600))
	stderr := captureStderr(t, func() {
		_, err := execute(t, "failed", "show", "7", "--config", path)
		require.ErrorContains(t, err, "no failed change with id 7")
		printError(&out, err, exitCode(err))
	})
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(stderr), &line), "one JSON line: %q", stderr)
	require.Equal(t, "ERROR", line["level"])
	require.Contains(t, line["error"], "no failed change with id 7")
	require.EqualValues(t, 2, line["exit_code"])
}

// captureStderr returns what f writes to os.Stderr.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = saved }()
	f()
	require.NoError(t, w.Close())
	var buf bytes.Buffer
	_, err = buf.ReadFrom(r)
	require.NoError(t, err)
	return buf.String()
}

// shellWords splits an example command line as a shell would, for the
// single quotes examples use: 'id >= 1000' is one word.
func shellWords(line string) []string {
	var words []string
	var b strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, b.String())
				b.Reset()
			}
			inWord = false
		default:
			b.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}
