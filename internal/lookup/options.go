package lookup

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/dsn"
	"github.com/tributary-cdc/tributary/internal/problem"
)

// Defaults of the zero Options fields.
const (
	DefaultPoolSize = 4
	DefaultTimeout  = 10 * time.Second
	DefaultBatch    = 500
)

// Options configure a Resolver; their settings are also the lookups block
// of the service configuration, declared, documented, defaulted and
// checked here only. Zero fields take their defaults. Lookups go to each
// source's own server (the writer the binlog is read from), never to a
// lagging replica.
type Options struct {
	// PoolSize caps the open connections to each source, and the queries
	// one call runs at once: default DefaultPoolSize, at most MaxPoolSize.
	PoolSize int `yaml:"pool_size"`
	// Timeout bounds each query; a query that times out is retried like a
	// lost connection. Default DefaultTimeout, at least MinTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Batch caps the parameter sets of one query: default DefaultBatch, at
	// most MaxBatch.
	Batch int `yaml:"batch"`

	// Sources maps a configured source name to the go-sql-driver/mysql DSN
	// of its writer (tcp, user, password; no database needed). The session
	// settings lookups need (UTC, utf8mb4, client-side interpolation)
	// override what the DSN says about them.
	Sources map[string]string `yaml:"-"`
	// Connectors, when they hold a source, open its pool instead of its
	// DSN; they must give the session settings above (source.Options'
	// Connector does) and give each new connection a fresh password.
	Connectors map[string]driver.Connector `yaml:"-"`
	// Log receives query traces and schema loads, never values or DSNs;
	// default slog.Default().
	Log *slog.Logger `yaml:"-"`
}

// Limits of the settings.
const (
	MaxPoolSize = 256
	MinTimeout  = time.Millisecond
	MaxBatch    = 10000
)

// Check reports every problem of the settings to r, by their keys in the
// service configuration (lookups). Zero fields are accepted: they take
// their defaults.
func (o *Options) Check(r problem.Reporter) {
	if n := o.PoolSize; n < 0 || n > MaxPoolSize {
		r.At("pool_size", fmt.Sprintf("must be between 1 and %d", MaxPoolSize))
	}
	if t := o.Timeout; t < 0 || (t > 0 && t < MinTimeout) {
		r.At("timeout", fmt.Sprintf("must be at least %s", MinTimeout))
	}
	if n := o.Batch; n < 0 || n > MaxBatch {
		r.At("batch", fmt.Sprintf("must be between 1 and %d", MaxBatch))
	}
}

// ensureDefaults fills zero fields.
func (o *Options) ensureDefaults() {
	if o.PoolSize == 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// validate reports every problem of o at once and returns the DSN of each
// source's pool.
func (o *Options) validate() (map[string]string, error) {
	var errs []error
	var settings problem.List
	o.Check(&settings)
	if err := settings.Err(); err != nil {
		errs = append(errs, fmt.Errorf("lookup options: %w", err))
	}
	dsns := make(map[string]string, len(o.Sources))
	names := make([]string, 0, len(o.Sources))
	for name := range o.Sources {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "" {
			errs = append(errs, errors.New("lookup options: a source has an empty name"))
			continue
		}
		d, err := dsn.ReadSession(o.Sources[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("lookup options: DSN of source %s: %w", name, err))
			continue
		}
		dsns[name] = d
	}
	return dsns, errors.Join(errs...)
}
