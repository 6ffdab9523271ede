package config

import (
	"log/slog"
	"time"
)

// Defaults and limits applied to zero or out-of-range fields.
const (
	// DefaultCheckpointInterval is used when checkpoint.interval is zero.
	DefaultCheckpointInterval = 500 * time.Millisecond
	// MinCheckpointInterval is the shortest checkpoint interval accepted.
	MinCheckpointInterval = 10 * time.Millisecond
	// MaxCheckpointInterval is the longest checkpoint interval accepted.
	MaxCheckpointInterval = time.Minute
	// DefaultPort is the MySQL port used when a source sets none.
	DefaultPort = 3306
)

// Config is the service configuration. A zero field means its default;
// EnsureDefaults fills the defaults in and Validate reports every problem.
type Config struct {
	// Log configures the service's own log output.
	Log Log `yaml:"log"`
	// Pebble locates the embedded store of positions and bookkeeping.
	Pebble Pebble `yaml:"pebble"`
	// Checkpoint controls how applied positions are persisted.
	Checkpoint Checkpoint `yaml:"checkpoint"`
	// Sources are the clusters whose binlogs are read, one reader each.
	Sources []Source `yaml:"sources"`
	// Sinks receive the changes read from the sources.
	Sinks []Sink `yaml:"sinks"`
	// Mappings lists mapping files or directories of them (*.yaml, *.yml);
	// relative paths are resolved against the file's directory. Without
	// mappings every table is streamed as it is and table sinks get nothing.
	Mappings []string `yaml:"mappings"`
	// HTTP serves health, status and metrics.
	HTTP HTTP `yaml:"http"`

	// file names the configuration file, for problem positions.
	file string
	// where maps a dotted key path to the position of its value in file.
	where map[string]position
}

// HTTP configures the health, status and metrics endpoint.
type HTTP struct {
	// Listen is the address to serve on, for example 127.0.0.1:9107;
	// empty disables the endpoint.
	Listen string `yaml:"listen"`
}

// Pebble locates the embedded Pebble store.
type Pebble struct {
	// Dir is the directory of the store (required). A relative path in a
	// file is resolved against the file's directory.
	Dir string `yaml:"dir"`
}

// Checkpoint controls how applied positions are persisted.
type Checkpoint struct {
	// Interval is how often applied positions are flushed and synced:
	// zero means DefaultCheckpointInterval; otherwise between
	// MinCheckpointInterval and MaxCheckpointInterval.
	Interval time.Duration `yaml:"interval"`
}

// EnsureDefaults fills zero fields with their defaults and resolves each
// source's connection fields (Host, Port, User, Password) from its DSN or
// from its password environment variable. It is safe to call more than once.
func (c *Config) EnsureDefaults() {
	if c.Log.Format == "" {
		c.Log.Format = LogText
	}
	if c.Checkpoint.Interval == 0 {
		c.Checkpoint.Interval = DefaultCheckpointInterval
	}
	for i := range c.Sources {
		c.Sources[i].ensureDefaults()
	}
}

// levelNames are the accepted log.level values.
var levelNames = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}
