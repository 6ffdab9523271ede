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
	// Lookups tunes the queries that complete target rows from the
	// sources (mappings' lookups and merged contributors).
	Lookups Lookups `yaml:"lookups"`

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

// Lookups tunes the queries that complete target rows from the sources.
// They go to each source's own server (the writer the binlog is read
// from), never to a lagging replica.
type Lookups struct {
	// PoolSize is the most open connections per source; zero means
	// DefaultLookupPoolSize.
	PoolSize int `yaml:"pool_size"`
	// Timeout bounds one query; a query that times out is retried like a
	// lost connection. Zero means DefaultLookupTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Batch is the most parameter sets one query carries; zero means
	// DefaultLookupBatch.
	Batch int `yaml:"batch"`
}

// Lookup defaults.
const (
	DefaultLookupPoolSize = 4
	DefaultLookupTimeout  = 10 * time.Second
	DefaultLookupBatch    = 500
)

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
	if c.Lookups.PoolSize == 0 {
		c.Lookups.PoolSize = DefaultLookupPoolSize
	}
	if c.Lookups.Timeout == 0 {
		c.Lookups.Timeout = DefaultLookupTimeout
	}
	if c.Lookups.Batch == 0 {
		c.Lookups.Batch = DefaultLookupBatch
	}
	for i := range c.Sources {
		c.Sources[i].ensureDefaults()
	}
}

// SourceNames returns the names of the configured sources, in file order.
func (c *Config) SourceNames() []string {
	names := make([]string, len(c.Sources))
	for i, s := range c.Sources {
		names[i] = s.Name
	}
	return names
}

// levelNames are the accepted log.level values.
var levelNames = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}
