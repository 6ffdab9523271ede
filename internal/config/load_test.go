package config_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/sink/jsonl"
	srcpkg "github.com/tributary-cdc/tributary/internal/source"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid.golden")

func TestLoadValid(t *testing.T) {
	t.Setenv("TRIBUTARY_TEST_PW", "s3cr3t")
	t.Setenv("TRIBUTARY_TEST_ORDERS_PW", "0rders")
	dir, err := filepath.Abs("testdata")
	require.NoError(t, err)

	cfg, err := config.Load(filepath.Join("testdata", "valid.yaml"))
	require.NoError(t, err)

	require.Equal(t, config.Log{Level: -4, Format: config.LogJSON}, cfg.Log)
	require.Equal(t, filepath.Join(dir, "state", "pebble"), cfg.Pebble.Dir)
	require.Equal(t, 250*time.Millisecond, cfg.Checkpoint.Interval)
	require.Equal(t, "127.0.0.1:9107", cfg.HTTP.Listen)
	require.Len(t, cfg.Mappings, 2)
	require.True(t, filepath.IsAbs(cfg.Mappings[0]), cfg.Mappings[0])
	require.Equal(t, "mappings", filepath.Base(cfg.Mappings[0]))
	require.Equal(t, "/tmp", cfg.Mappings[1], "absolute paths are kept")
	require.Equal(t, []sourceFields{
		{"jp-accounts", "127.0.0.1", 3307, "repl", "s3cr3t", "", change.MariaDB, 4001, false},
		{"eu_orders", "db.internal", 3308, "tributary", "0rders", "TRIBUTARY_TEST_ORDERS_PW", srcpkg.FlavorAuto, 4294967295, true},
	}, fieldsOf(cfg.Sources))
	require.Equal(t, []config.Sink{
		{Name: "changes", Type: config.SinkJSONL, JSONL: &jsonl.Options{Path: filepath.Join(dir, "out", "changes.jsonl")}},
		{Name: "stdout", Type: config.SinkJSONL, JSONL: &jsonl.Options{Path: "-"}},
	}, cfg.Sinks)
	require.NoError(t, cfg.Validate(), "a loaded config stays valid")
}

func TestLoadInvalidGolden(t *testing.T) {
	unsetenv(t, "TRIBUTARY_TEST_UNSET_PW")
	path := filepath.Join("testdata", "invalid.yaml")
	_, err := config.Load(path)
	var problems config.Problems
	require.ErrorAs(t, err, &problems)

	golden := filepath.Join("testdata", "invalid.golden")
	got := err.Error() + "\n"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got)
	for i := 1; i < len(problems); i++ {
		require.LessOrEqual(t, problems[i-1].Line, problems[i].Line, "sorted by line")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.False(t, errors.As(err, &config.Problems{}), "an unreadable file is not a content problem")
}

func TestRelativePaths(t *testing.T) {
	const body = "pebble: {dir: %q}\n" +
		"sinks: [{name: out, type: jsonl, jsonl: {path: %q}}]\n" +
		"sources: [{name: a, host: h, user: u, server_id: 1}]\n"
	tests := []struct {
		name      string
		file      string
		dir, path string
		wantDir   string
		wantPath  string
	}{
		{"relative to the file", "etc/tributary.yaml", "pebble", "out.jsonl", "etc/pebble", "etc/out.jsonl"},
		{"parent directory", "etc/tributary.yaml", "../var/pebble", "./out/../x.jsonl", "var/pebble", "etc/x.jsonl"},
		{"absolute kept", "etc/tributary.yaml", "/var/lib/pebble", "/tmp/out.jsonl", "/var/lib/pebble", "/tmp/out.jsonl"},
		{"stdout kept", "etc/tributary.yaml", "p", "-", "etc/p", "-"},
		{"file in working directory", "tributary.yaml", "p", "o.jsonl", "p", "o.jsonl"},
		{"absolute file", "/etc/tributary/t.yaml", "p", "o.jsonl", "/etc/tributary/p", "/etc/tributary/o.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse(tt.file, []byte(sprintf(body, tt.dir, tt.path)))
			require.NoError(t, err)
			require.Equal(t, filepath.FromSlash(tt.wantDir), cfg.Pebble.Dir)
			require.Equal(t, filepath.FromSlash(tt.wantPath), cfg.Sinks[0].JSONL.Path)
		})
	}
}

func TestLoadResolvesAgainstAbsoluteDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(
		"pebble: {dir: store}\n"+
			"sinks: [{name: out, type: jsonl, jsonl: {path: out.jsonl}}]\n"+
			"sources: [{name: a, host: h, user: u, server_id: 1}]\n"), 0o600))
	t.Chdir(dir)

	cfg, err := config.Load("tributary.yaml")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "store"), cfg.Pebble.Dir)
	require.Equal(t, filepath.Join(dir, "out.jsonl"), cfg.Sinks[0].JSONL.Path)
}
