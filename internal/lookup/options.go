package lookup

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of the zero Options fields.
const (
	DefaultPoolSize = 4
	DefaultTimeout  = 10 * time.Second
	DefaultBatch    = 500
)

// Options configures a Resolver. Zero fields take their defaults.
type Options struct {
	// Sources maps a configured source name to the go-sql-driver/mysql DSN
	// of its writer (tcp, user, password; no database needed). The session
	// settings lookups need (UTC, utf8mb4, client-side interpolation)
	// override what the DSN says about them.
	Sources map[string]string
	// PoolSize caps the open connections to each source, and the queries
	// one call runs at once; default DefaultPoolSize.
	PoolSize int
	// Timeout bounds each query; default DefaultTimeout.
	Timeout time.Duration
	// Batch caps the parameter sets of one query; default DefaultBatch.
	Batch int
	// Log receives query traces and schema loads, never values or DSNs;
	// default slog.Default().
	Log *slog.Logger
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
	if o.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("lookup options: PoolSize %d is negative", o.PoolSize))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("lookup options: Timeout %s is negative", o.Timeout))
	}
	if o.Batch < 0 {
		errs = append(errs, fmt.Errorf("lookup options: Batch %d is negative", o.Batch))
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
		dsn, err := poolDSN(o.Sources[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("lookup options: DSN of source %s: %w", name, err))
			continue
		}
		dsns[name] = dsn
	}
	return dsns, errors.Join(errs...)
}

// poolDSN returns dsn with the session settings lookups rely on: UTC so
// TIMESTAMPs read as the binlog decoder has them, utf8mb4 so text arrives
// as UTF-8, text results (no time.Time parsing) and parameters
// interpolated by the client, which saves a prepare round trip per query.
func poolDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", dsnError(err)
	}
	cfg.InterpolateParams = true
	cfg.ParseTime = false
	cfg.MultiStatements = false
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return "", fmt.Errorf("setting the character set: %w", err)
	}
	return cfg.FormatDSN(), nil
}

// dsnError keeps the driver's fixed messages and replaces the others,
// which may quote a part of the DSN that a misplaced separator cut from
// the password.
func dsnError(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "invalid DSN: "); ok {
		return errors.New(msg)
	}
	return errors.New("not a go-sql-driver/mysql DSN (user:password@tcp(host:port)/)")
}
