package config

import (
	"log/slog"
	"os"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// Config is the service configuration. A zero field means its default;
// EnsureDefaults fills the defaults in and Validate reports every problem.
type Config struct {
	// Log configures the service's own log output.
	Log Log `yaml:"log"`
	// Pebble locates the embedded store of positions and bookkeeping.
	Pebble Pebble `yaml:"pebble"`
	// Checkpoint controls how applied positions are persisted.
	Checkpoint checkpoint.Settings `yaml:"checkpoint"`
	// Sources are the clusters whose binlogs are read, one reader each.
	Sources []source.Options `yaml:"sources"`
	// Sinks receive the changes read from the sources.
	Sinks []Sink `yaml:"sinks"`
	// Mappings lists mapping files or directories of them (*.yaml, *.yml);
	// relative paths are resolved against the file's directory. Without
	// mappings every table is streamed as it is and table sinks get nothing.
	Mappings []string `yaml:"mappings"`
	// Migrations names the folder of the target's schema migrations (goose
	// SQL files, NNNNN_description.sql) that tributary migrate applies to
	// the first mysql sink's database; relative to the file's directory.
	// Without it migrate refuses: Tributary creates no tables of its own.
	Migrations string `yaml:"migrations"`
	// HTTP serves health, status and metrics.
	HTTP HTTP `yaml:"http"`
	// Lookups tunes the queries that complete target rows from the
	// sources (mappings' lookups and merged contributors).
	Lookups lookup.Options `yaml:"lookups"`
	// Verify configures tributary verify: the database it compares when
	// it is not the mysql sink's.
	Verify verify.Settings `yaml:"verify"`

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
	// PProf serves Go's profiler under /debug/pprof/; off by default, and
	// only on a loopback listen address.
	PProf bool `yaml:"pprof"`
	// TokenEnv names an environment variable holding a bearer token that
	// every request but /healthz and /readyz must carry; the commands
	// that ask the service send it.
	TokenEnv string `yaml:"token_env"`
}

// Token returns the bearer token the endpoint requires, "" for none.
func (h HTTP) Token() string {
	if h.TokenEnv == "" {
		return ""
	}
	return os.Getenv(h.TokenEnv)
}

// Pebble locates the embedded Pebble store.
type Pebble struct {
	// Dir is the directory of the store (required). A relative path in a
	// file is resolved against the file's directory.
	Dir string `yaml:"dir"`
}

// EnsureDefaults fills the service's own zero fields with their defaults
// (each stage defaults its own block when it starts) and resolves each
// source's connection fields (Host, Port, User, Password) from its DSN or
// from its password environment variable. It is safe to call more than once.
func (c *Config) EnsureDefaults() {
	if c.Log.Format == "" {
		c.Log.Format = LogAuto
	}
	c.Checkpoint.EnsureDefaults()
	for i := range c.Sources {
		c.Sources[i].EnsureDefaults()
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
