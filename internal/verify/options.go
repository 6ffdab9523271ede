package verify

import (
	"log/slog"
	"time"

	"github.com/tributary-cdc/tributary/internal/dsn"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/problem"
)

// Defaults of the zero Options fields.
const (
	DefaultChunkRows      = 1000
	DefaultChecksumRows   = 10000
	DefaultSettle         = 10 * time.Second
	DefaultMaxDifferences = 10000
)

// Options say what Run compares.
type Options struct {
	// Set holds the compiled mappings; Targets the target tables
	// ("schema.table") to verify, in order.
	Set     *mapping.Set
	Targets []string
	// Sources maps each configured source name to its DSN (with the
	// session settings of source.Options.DSN).
	Sources map[string]string
	// Lookups tunes the lookup queries; its Sources and Log are set by Run.
	Lookups lookup.Options
	// TargetDSN is the go-sql-driver DSN of the target database.
	TargetDSN string
	// Where is an SQL predicate over the driving source tables' columns
	// that restricts the rows compared; target rows are then not walked
	// for extra rows (the predicate says nothing about them).
	Where string
	// Keys, when set, restricts the comparison to these target keys,
	// each the text of its key columns' values in key order (as ranges
	// hold them): the driving rows that give them are read by key, and
	// those of them the target holds without a source row are extra. It
	// needs every driving entry to copy the target key from source
	// columns. Use it with one target.
	Keys [][]string
	// ChunkRows is the number of source rows read and compared at once:
	// default DefaultChunkRows.
	ChunkRows int
	// ChecksumRows is the number of source keys a checksum chunk of the
	// fast path covers: default DefaultChecksumRows. A chunk that
	// differs is compared ChunkRows rows at a time.
	ChecksumRows int
	// Settle is how long a difference is re-checked before it is
	// reported: the time the stream has to carry a change that raced
	// with the comparison. Default DefaultSettle.
	Settle time.Duration
	// MaxDifferences bounds the differences held per target (each waits
	// in memory for its re-checks): a target that reaches it is compared
	// no further, and its counts are lower bounds. Default
	// DefaultMaxDifferences.
	MaxDifferences int
	// Values keeps the differing values in the report.
	Values bool
	// Log receives progress, never row values or keys; default discards.
	Log *slog.Logger
	// NoFastPath compares every table row by row, even a plain
	// projection the checksum fast path could compare (see fastpath.go).
	NoFastPath bool
	// Throttles paces the reads of each source, by source name; a source
	// without one is read as fast as it answers.
	Throttles map[string]Throttle
}

// Throttle paces the reads of one source as its backfill is paced.
type Throttle struct {
	// MaxRowsPerSecond caps the rows read per second; 0 is no cap.
	MaxRowsPerSecond int
	// MaxThreadsRunning holds reads back while the source's
	// Threads_running is above it; 0 is off.
	MaxThreadsRunning int
}

// ensureDefaults fills zero fields.
func (o *Options) ensureDefaults() {
	if o.ChunkRows <= 0 {
		o.ChunkRows = DefaultChunkRows
	}
	if o.ChecksumRows <= 0 {
		o.ChecksumRows = DefaultChecksumRows
	}
	if o.MaxDifferences <= 0 {
		o.MaxDifferences = DefaultMaxDifferences
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Settings is the verify block of the service configuration.
type Settings struct {
	// Target is the MySQL database verify compares with the sources when
	// it is not the mysql sink's (for example one a Kinesis consumer
	// writes); unset means the first mysql sink's.
	Target *Target `yaml:"target"`
	// FastPath compares plain projections by chunk checksums first
	// (default true); false compares every row.
	FastPath *bool `yaml:"fast_path"`
	// MaxRowsPerSecond and MaxThreadsRunning pace verify's reads of
	// every source; unset, each source's backfill_max_rows_per_second
	// and backfill_max_threads_running apply.
	MaxRowsPerSecond  *int `yaml:"max_rows_per_second"`
	MaxThreadsRunning *int `yaml:"max_threads_running"`
}

// Check reports the problems of the settings to r.
func (s *Settings) Check(r problem.Reporter) {
	if s.Target != nil {
		s.Target.Check(problem.Under(r, "target"))
	}
	if s.MaxRowsPerSecond != nil && *s.MaxRowsPerSecond < 0 {
		r.At("max_rows_per_second", "must be 0 (no cap) or more")
	}
	if s.MaxThreadsRunning != nil && *s.MaxThreadsRunning < 0 {
		r.At("max_threads_running", "must be 0 (off) or more")
	}
}

// Target is how verify reaches a MySQL database: the connection fields of
// the mysql sink, either a DSN or host, port, user, password_env and
// database.
type Target struct {
	// DataSourceName is a go-sql-driver/mysql DSN; it excludes the other
	// fields and is never printed.
	DataSourceName string `yaml:"dsn" json:"-"`
	// Host is the database's address (without dsn: required).
	Host string `yaml:"host"`
	// Port is its port (default dsn.DefaultPort).
	Port uint16 `yaml:"port"`
	// User is the user (required with host).
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// Database is the default database (optional: tables are qualified).
	Database string `yaml:"database"`
}

// Check reports the problems of the connection fields to r.
func (t *Target) Check(r problem.Reporter) {
	if t.DataSourceName != "" {
		if _, err := dsn.Parse(t.DataSourceName); err != nil {
			r.At("dsn", "invalid dsn: "+err.Error())
		}
		others := []struct {
			field string
			set   bool
		}{{"host", t.Host != ""}, {"port", t.Port != 0}, {"user", t.User != ""},
			{"password_env", t.PasswordEnv != ""}, {"database", t.Database != ""}}
		for _, f := range others {
			if f.set {
				r.At(f.field, "cannot be combined with dsn (set it inside the dsn)")
			}
		}
		return
	}
	if t.Host == "" {
		r.At("host", "is required (or dsn)")
	}
	if t.User == "" {
		r.At("user", "is required with host")
	}
}

// DSN returns the go-sql-driver DSN of the database, with the password
// read from PasswordEnv now.
func (t *Target) DSN() string {
	if t.DataSourceName != "" {
		return t.DataSourceName
	}
	return dsn.Build(t.Host, t.Port, t.User, t.PasswordEnv, t.Database)
}
