package config_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/sink/jsonl"
	srcpkg "github.com/tributary-cdc/tributary/internal/source"
)

// built is a valid configuration as code would build it.
func built() *config.Config {
	return &config.Config{
		Pebble:  config.Pebble{Dir: "/var/lib/tributary"},
		Sources: []srcpkg.Options{{Name: "a", Host: "h", User: "u", ServerID: 1}},
		Sinks:   []config.Sink{{Name: "s", Type: config.SinkJSONL, JSONL: &jsonl.Options{Path: "-"}}},
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*config.Config)
		want   string
	}{
		{"valid", func(*config.Config) {}, ""},
		{"zero config", func(c *config.Config) { *c = config.Config{} },
			"pebble.dir: is required\nsources: at least one source is required\nsinks: at least one sink is required"},
		{"level out of the named ones", func(c *config.Config) { c.Log.Level = 2 },
			"log.level: must be one of debug, info, warn, error"},
		{"interval too short", func(c *config.Config) { c.Checkpoint.Interval = time.Millisecond },
			"checkpoint.interval: must be between 10ms and 1m0s"},
		{"dsn beside host", func(c *config.Config) {
			c.Sources[0].DataSourceName = "u:p@tcp(h:1)/"
			c.Sources[0].User = ""
		}, "sources[0].host: dsn and host are mutually exclusive"},
		{"dsn alone", func(c *config.Config) {
			c.Sources[0] = srcpkg.Options{Name: "a", ServerID: 1, DataSourceName: "u:p@tcp(h:1)/"}
		}, ""},
		{"bad dsn", func(c *config.Config) {
			c.Sources[0] = srcpkg.Options{Name: "a", ServerID: 1, DataSourceName: "u:secret@tcp(h:1/"}
		}, "sources[0].dsn: invalid dsn: network address not terminated (missing closing brace)"},
		{"duplicates", func(c *config.Config) {
			c.Sources = append(c.Sources, c.Sources[0])
			c.Sinks = append(c.Sinks, c.Sinks[0])
		}, "sources[1].name: duplicate name \"a\" (also sources[0])\n" +
			"sources[1].server_id: duplicate server_id 1 (also sources[0])\n" +
			"sinks[1].name: duplicate name \"s\" (also sinks[0])"},
		{"sink without settings", func(c *config.Config) { c.Sinks[0].JSONL = nil },
			"sinks[0].jsonl.path: is required for type jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := built()
			tt.modify(c)
			err := c.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				c.EnsureDefaults()
				require.NoError(t, c.Validate(), "defaults keep it valid")
				return
			}
			var problems config.Problems
			require.ErrorAs(t, err, &problems)
			require.Equal(t, tt.want, err.Error())
			c.EnsureDefaults()
			require.Equal(t, tt.want, c.Validate().Error(), "defaults neither hide nor add problems")
		})
	}
}

func TestEnsureDefaults(t *testing.T) {
	c := built()
	c.Sources = append(c.Sources, srcpkg.Options{Name: "b", ServerID: 2, DataSourceName: "repl:pw@tcp(db:3307)/"})
	c.EnsureDefaults()
	require.Equal(t, config.LogAuto, c.Log.Format)
	require.Equal(t, checkpoint.DefaultInterval, c.Checkpoint.Interval)
	require.Equal(t, []sourceFields{
		{"a", "h", 3306, "u", "", "", srcpkg.FlavorAuto, 1, false},
		{"b", "db", 3307, "repl", "pw", "", srcpkg.FlavorAuto, 2, false},
	}, fieldsOf(c.Sources))
	c.EnsureDefaults()
	require.Equal(t, "db", c.Sources[1].Host, "idempotent")
}

func TestLogHandler(t *testing.T) {
	for _, l := range []config.Log{{}, {Level: -4, Format: config.LogJSON}} {
		h := l.Handler(nil)
		require.Equal(t, l.Level == -4, h.Enabled(t.Context(), -4))
	}
}

func TestMySQLSinkWithoutMappingsIsRefused(t *testing.T) {
	doc := "pebble: {dir: p}\n" + source + "sinks:\n  - name: target\n    type: mysql\n    mysql: {dsn: 'u:p@tcp(h:3306)/'}\n"
	_, err := config.Parse("t.yaml", []byte(doc))
	require.ErrorContains(t, err, "t.yaml:9:11: sinks[0].type: a mysql sink writes the rows mappings derive, and mappings: lists none")
	_, err = config.Parse("t.yaml", []byte("mappings: [.]\n"+doc))
	require.NoError(t, err)
}

// Partial row images would write NULL into the target columns an update
// left alone: a mysql sink refuses them, change sinks take them.
func TestPartialRowImagesOnlyForChangeSinks(t *testing.T) {
	partial := source + "    allow_partial_row_image: true\n"
	mysql := "mappings: [.]\npebble: {dir: p}\n" + partial + "sinks:\n  - {name: target, type: mysql, mysql: {dsn: 'u:p@tcp(h:3306)/'}}\n"
	_, err := config.Parse("t.yaml", []byte(mysql))
	require.ErrorContains(t, err, "t.yaml:8:30: sources[0].allow_partial_row_image: cannot be used with a mysql sink")
	_, err = config.Parse("t.yaml", []byte(head+partial))
	require.NoError(t, err)
}

func TestPathsOfTheWrongKind(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	doc := "pebble: {dir: file}\nmappings: [missing]\n" + source +
		"sinks:\n  - {name: a, type: jsonl, jsonl: {path: .}}\n"
	_, err := config.Parse(filepath.Join(dir, "t.yaml"), []byte(doc))
	require.Error(t, err)
	for _, want := range []string{
		"pebble.dir: " + file + " is a file, not a folder",
		"mappings[0]: " + filepath.Join(dir, "missing") + " does not exist",
		"sinks[0].jsonl.path: " + dir + " is a folder; name a file",
	} {
		require.ErrorContains(t, err, want)
	}
}

func TestLogFormatFor(t *testing.T) {
	pipe, w, err := os.Pipe()
	require.NoError(t, err)
	defer pipe.Close()
	defer w.Close()
	var buf bytes.Buffer
	for _, c := range []struct {
		format config.LogFormat
		to     io.Writer
		want   config.LogFormat
	}{
		{config.LogAuto, w, config.LogJSON},
		{config.LogAuto, &buf, config.LogJSON},
		{config.LogText, w, config.LogText},
		{config.LogJSON, w, config.LogJSON},
	} {
		require.Equal(t, c.want, config.Log{Format: c.format}.FormatFor(c.to), "%s to %T", c.format, c.to)
	}
}
