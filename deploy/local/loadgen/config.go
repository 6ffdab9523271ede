package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults for zero Config fields.
const (
	DefaultWorkers       = 2
	DefaultMaxLOB        = 64 << 10
	DefaultProgressEvery = 5 * time.Second
)

// Config configures one load run. Zero fields take defaults.
type Config struct {
	// AccountsDSNs are writer DSNs of the account shards in shard order
	// (jp-accounts, jp-accounts-2); shard n, counted from 1, writes e-mails
	// u<n>-...@example.com so that they never collide across shards.
	AccountsDSNs []string
	// RecipesDSN is a writer DSN of the recipes cluster.
	RecipesDSN string
	// Rate is the target number of transactions per second over all
	// workers; 0 runs as fast as the servers allow.
	Rate float64
	// Duration ends the run after this long; 0 means no limit.
	Duration time.Duration
	// Transactions ends the run after this many transactions, committed or
	// given up; 0 means no limit.
	Transactions int
	// Seed seeds the workload's choices; 0 takes one from the clock.
	Seed int64
	// Workers is the number of transactions in flight at once; default 2.
	Workers int
	// MaxLOB bounds the size in bytes of generated BLOB and TEXT values,
	// which their column types cap further (65535 for BLOB and TEXT);
	// default 64 KiB.
	MaxLOB int
	// ProgressEvery is the interval between progress log lines; default 5 s.
	ProgressEvery time.Duration
	// Logger receives progress lines; default slog.Default(). It never
	// receives row values.
	Logger *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxLOB == 0 {
		c.MaxLOB = DefaultMaxLOB
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = DefaultProgressEvery
	}
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem of the config at once.
func (c *Config) Validate() error {
	var errs []error
	if len(c.AccountsDSNs) == 0 && c.RecipesDSN == "" {
		errs = append(errs, errors.New("loadgen: no DSN: set AccountsDSNs, RecipesDSN or both"))
	}
	for i, dsn := range c.AccountsDSNs {
		if _, err := mysql.ParseDSN(dsn); err != nil {
			errs = append(errs, fmt.Errorf("loadgen: AccountsDSNs[%d]: %w", i, err))
		}
	}
	if c.RecipesDSN != "" {
		if _, err := mysql.ParseDSN(c.RecipesDSN); err != nil {
			errs = append(errs, fmt.Errorf("loadgen: RecipesDSN: %w", err))
		}
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("loadgen: Rate %v is negative", c.Rate))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("loadgen: Duration %v is negative", c.Duration))
	}
	if c.Transactions < 0 {
		errs = append(errs, fmt.Errorf("loadgen: Transactions %d is negative", c.Transactions))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("loadgen: Workers %d is negative", c.Workers))
	}
	if c.MaxLOB < 0 {
		errs = append(errs, fmt.Errorf("loadgen: MaxLOB %d is negative", c.MaxLOB))
	}
	if c.ProgressEvery < 0 {
		errs = append(errs, fmt.Errorf("loadgen: ProgressEvery %v is negative", c.ProgressEvery))
	}
	return errors.Join(errs...)
}
