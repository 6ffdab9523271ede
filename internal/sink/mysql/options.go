package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dsn"
	"github.com/tributary-cdc/tributary/internal/problem"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// Error policies.
const (
	// OnErrorHalt makes Apply and Flush fail on a permanent error.
	OnErrorHalt = "halt"
	// OnErrorRecord records a permanently failing operation in the failed
	// store, counts it and goes on.
	OnErrorRecord = "record"
)

// Conflict policies for upserts that collide on a secondary unique key
// with a row under another primary key (see conflict.go).
const (
	// OnConflictReplay deletes the colliding rows and applies the upsert
	// again when the upsert's transaction is inside its source's replay
	// window after a restart (Options.Replay); anywhere else the collision
	// is a permanent error handled by OnError.
	OnConflictReplay = "replay"
	// OnConflictReplace deletes the colliding rows and applies the upsert
	// again wherever the collision happens.
	OnConflictReplace = "replace"
	// OnConflictFail never deletes: every collision, in the replay window
	// too, is a permanent error handled by OnError.
	OnConflictFail = "fail"
)

// Whether the worker of a table with a unique key besides its operations'
// key writes long runs over several connections (see split.go).
const (
	// SplitOn splits runs of 256 operations or more (default).
	SplitOn = "on"
	// SplitOff writes every run by one connection.
	SplitOff = "off"
)

// FailedStore keeps operations that failed permanently.
type FailedStore interface {
	// RecordFailed stores fc durably and returns its id.
	RecordFailed(fc change.FailedChange) (uint64, error)
}

// Resolver completes operations whose Pending lookups must be read right
// before they are written.
//
// For every operation with Pending it appends the looked-up columns to
// Columns and their values to Values, in Pending order, and sets Pending
// to nil. It is atomic: on error no operation changed, so the call can be
// retried as it is. Its errors keep *mysql.MySQLError and net errors
// reachable with errors.As, and a timed-out lookup satisfies
// errors.Is(err, context.DeadlineExceeded); any other error is permanent.
type Resolver interface {
	Resolve(ctx context.Context, ops []*change.TargetOp) error
}

// Default settings and limits.
const (
	DefaultWorkers          = 4
	DefaultRowsPerStatement = 500
	DefaultStatementsPerTxn = 20
	// DefaultMaxQueuedBytes is the default of Options.MaxQueuedBytes;
	// MinMaxQueuedBytes the least accepted.
	DefaultMaxQueuedBytes = 8 << 20
	MinMaxQueuedBytes     = 1 << 20
	// MaxWorkers caps Options.Workers.
	MaxWorkers = 256
	// DefaultTimeout bounds each wait for the target to answer or take a
	// write; MinTimeout is the least accepted.
	DefaultTimeout = 60 * time.Second
	MinTimeout     = time.Second
	// DefaultRememberedRows is the default of Options.RememberedRows,
	// about 26 MiB; MinRememberedRows the least accepted.
	DefaultRememberedRows = 1 << 17
	MinRememberedRows     = 1 << 10
)

// Options configure a Sink; they are also the sink's block of the service
// configuration (sinks[].mysql), so each setting is declared, documented,
// defaulted and checked here only. Zero fields take their defaults. The
// target is reached either through DataSourceName or through Host, Port,
// User, PasswordEnv and Database.
type Options struct {
	// DataSourceName is a go-sql-driver/mysql DSN such as
	// user:pass@tcp(host:port)/db; it excludes Host, Port, User,
	// PasswordEnv and Database. The session settings the sink needs
	// override what it says about them. It holds the password, so it is
	// never printed.
	DataSourceName string `yaml:"dsn" json:"-"`
	// Host is the target address (without DataSourceName: required).
	Host string `yaml:"host"`
	// Port is the target port (default dsn.DefaultPort).
	Port uint16 `yaml:"port"`
	// User is the target user (required when Host is set).
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password
	// (optional; an empty password when unset).
	PasswordEnv string `yaml:"password_env"`
	// PasswordFile names a file holding the password, read (and trimmed)
	// for every new connection.
	PasswordFile string `yaml:"password_file"`
	// PasswordSecret is the ARN of an AWS Secrets Manager secret holding
	// the password (JSON with a "password" field, or the plain password);
	// it is cached and read again when the server refuses it.
	PasswordSecret string `yaml:"password_secret"`
	// IAMAuth signs an RDS/Aurora IAM authentication token as the password
	// of every new connection; it needs TLS.
	IAMAuth bool `yaml:"iam_auth"`
	// AWSRegion is the region of PasswordSecret or of the IAM database
	// (default: the secret ARN's, then AWS_REGION and the AWS config).
	AWSRegion string `yaml:"aws_region"`
	// TLS secures the connections to the target.
	TLS tlsconf.Options `yaml:"tls"`
	// Database is the default database of the connections (optional:
	// target tables are schema-qualified).
	Database string `yaml:"database"`
	// Workers is the number of parallel appliers of each lane (see
	// lanes.go): default DefaultWorkers, at most MaxWorkers.
	Workers int `yaml:"workers"`
	// RowsPerStatement caps the rows of one multi-row statement; default
	// DefaultRowsPerStatement.
	RowsPerStatement int `yaml:"rows_per_statement"`
	// StatementsPerTxn caps the statements of one target transaction;
	// default DefaultStatementsPerTxn.
	StatementsPerTxn int `yaml:"statements_per_txn"`
	// MaxQueuedBytes bounds the memory of the operations queued for the
	// workers and being applied, estimated from their values, for the
	// whole sink (every lane): Apply blocks while they hold more (see
	// budget.go). Default DefaultMaxQueuedBytes, at least
	// MinMaxQueuedBytes.
	MaxQueuedBytes int64 `yaml:"max_queued_bytes"`
	// Timeout bounds each wait for the target to answer a statement or
	// take its bytes (the driver's readTimeout and writeTimeout, unless
	// the DSN sets them); default DefaultTimeout. Keep it above the
	// target's innodb_lock_wait_timeout.
	Timeout time.Duration `yaml:"timeout"`
	// OnError is OnErrorHalt (default) or OnErrorRecord.
	OnError string `yaml:"on_error"`
	// OnConflict is what an upsert that collides with another row on a
	// secondary unique key does: OnConflictReplay (default) deletes the
	// other row inside the replay window after a restart and is a
	// permanent error handled by OnError anywhere else; OnConflictReplace
	// always deletes it; OnConflictFail never does.
	OnConflict string `yaml:"on_conflict"`
	// SplitRuns is SplitOn (default) or SplitOff. Off suits a MySQL
	// target whose split runs often fall back
	// (tributary_mysql_split_fallbacks_total): there a part that meets
	// another's lock waits a second, MySQL's least, before it fails.
	SplitRuns string `yaml:"split_runs"`
	// RememberedRows bounds the rows whose last write the workers
	// remember together, to leave out updates that would change nothing
	// (see unchanged.go), about 210 bytes each: default
	// DefaultRememberedRows, at least MinRememberedRows. A merged or
	// looked-up table whose backlog writes more rows than this before
	// their contributors' changes arrive sends most of those changes.
	RememberedRows int64 `yaml:"remembered_rows"`

	// Failed receives the failures under OnErrorRecord (required then).
	Failed FailedStore `yaml:"-"`
	// Resolver reads the pending lookups of operations right before they
	// are written (see resolve.go); required only when operations carry
	// Pending lookups, which otherwise fail permanently.
	Resolver Resolver `yaml:"-"`
	// LookupSources lists, by target table ("schema.table"), the sources
	// its operations' lookups query, as the service's mappings say: each
	// distinct set of sources gets a lane of workers of its own, so a
	// source that does not answer holds up only the tables that read it
	// (see lanes.go). Tables not listed share the first lane.
	LookupSources map[string][]string `yaml:"-"`
	// Replay is the replay window after a restart, kept by the service;
	// without it no transaction is inside it, so under OnConflictReplay
	// every collision is a permanent error.
	Replay ReplayWindow `yaml:"-"`
	// Logger receives retries and failures, never row values; nil discards.
	Logger *slog.Logger `yaml:"-"`
}

// DSN returns the go-sql-driver DSN of the target: DataSourceName as given,
// or one built from the host fields with the password read from
// PasswordEnv now. It carries neither the tls block nor the passwords
// read per connection: connect through Connector.
func (o *Options) DSN() string {
	if o.DataSourceName != "" {
		return o.DataSourceName
	}
	return dsn.Build(o.Host, o.Port, o.User, o.PasswordEnv, o.Database)
}

// String describes the target without its password.
func (o Options) String() string {
	if o.DataSourceName != "" {
		return dsn.Describe(o.DataSourceName)
	}
	return fmt.Sprintf("%s@%s", o.User, net.JoinHostPort(o.Host, strconv.Itoa(int(o.Port))))
}

// GoString describes the target for %#v without its password.
func (o Options) GoString() string {
	return fmt.Sprintf("mysql.Options{Target:%q, PasswordEnv:%q, Database:%q, Workers:%d, RowsPerStatement:%d, StatementsPerTxn:%d, MaxQueuedBytes:%d, OnError:%q, OnConflict:%q}",
		o.String(), o.PasswordEnv, o.Database, o.Workers, o.RowsPerStatement, o.StatementsPerTxn, o.MaxQueuedBytes, o.OnError, o.OnConflict)
}

// ensureDefaults fills zero fields.
func (o *Options) ensureDefaults() {
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.RowsPerStatement == 0 {
		o.RowsPerStatement = DefaultRowsPerStatement
	}
	if o.StatementsPerTxn == 0 {
		o.StatementsPerTxn = DefaultStatementsPerTxn
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxQueuedBytes == 0 {
		o.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if o.RememberedRows == 0 {
		o.RememberedRows = DefaultRememberedRows
	}
	if o.OnError == "" {
		o.OnError = OnErrorHalt
	}
	if o.OnConflict == "" {
		o.OnConflict = OnConflictReplay
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Check reports every problem of the settings to r, by their keys in the
// service configuration. Zero fields are accepted where they have a
// default.
func (o *Options) Check(r problem.Reporter) {
	if o.DataSourceName != "" {
		if _, err := dsn.Parse(o.DataSourceName); err != nil {
			r.At("dsn", "invalid dsn: "+err.Error())
		}
		others := []struct {
			field string
			set   bool
		}{{"host", o.Host != ""}, {"port", o.Port != 0}, {"user", o.User != ""},
			{"password_env", o.PasswordEnv != ""}, {"database", o.Database != ""}}
		for _, f := range others {
			if f.set {
				r.At(f.field, "cannot be combined with dsn (set it inside the dsn)")
			}
		}
		for _, f := range []struct {
			field string
			set   bool
		}{{"password_file", o.PasswordFile != ""}, {"password_secret", o.PasswordSecret != ""}, {"iam_auth", o.IAMAuth}} {
			if f.set {
				r.At(f.field, "cannot be combined with dsn: give host, port, user and database instead")
			}
		}
	} else {
		switch {
		case o.Host == "":
			if !r.Rejected("dsn") && !r.Rejected("host") {
				r.At("", "either dsn or host is required")
			}
		case o.User == "":
			r.At("host", "user is required when host is set")
		}
		if o.PasswordEnv != "" {
			if _, set := os.LookupEnv(o.PasswordEnv); !set {
				r.At("password_env", fmt.Sprintf("environment variable %s is not set", o.PasswordEnv))
			}
		}
	}
	o.TLS.Check(problem.Under(r, "tls"))
	o.credentials().Check(r, o.PasswordEnv, o.TLS.Secure())
	if o.Workers < 0 || o.Workers > MaxWorkers {
		r.At("workers", fmt.Sprintf("must be between 1 and %d", MaxWorkers))
	}
	if o.RowsPerStatement < 0 {
		r.At("rows_per_statement", "must be at least 1")
	}
	if o.StatementsPerTxn < 0 {
		r.At("statements_per_txn", "must be at least 1")
	}
	if o.MaxQueuedBytes != 0 && o.MaxQueuedBytes < MinMaxQueuedBytes {
		r.At("max_queued_bytes", fmt.Sprintf("must be at least %d (1 MiB)", MinMaxQueuedBytes))
	}
	if o.RememberedRows != 0 && o.RememberedRows < MinRememberedRows {
		r.At("remembered_rows", fmt.Sprintf("must be at least %d", MinRememberedRows))
	}
	if o.Timeout != 0 && o.Timeout < MinTimeout {
		r.At("timeout", fmt.Sprintf("must be at least %s", MinTimeout))
	}
	switch o.OnError {
	case "", OnErrorHalt, OnErrorRecord:
	default:
		r.At("on_error", fmt.Sprintf("must be %s or %s", OnErrorHalt, OnErrorRecord))
	}
	switch o.OnConflict {
	case "", OnConflictReplay, OnConflictReplace, OnConflictFail:
	default:
		r.At("on_conflict", fmt.Sprintf("must be %s, %s or %s", OnConflictReplay, OnConflictReplace, OnConflictFail))
	}
	switch o.SplitRuns {
	case "", SplitOn, SplitOff:
	default:
		r.At("split_runs", fmt.Sprintf("must be %s or %s", SplitOn, SplitOff))
	}
}

// validate reports every problem of o at once, the settings' and those of
// the dependencies they need.
func (o *Options) validate() error {
	var l problem.List
	o.Check(&l)
	if o.OnError == OnErrorRecord && o.Failed == nil {
		l.At("on_error", "record needs a failed-changes store")
	}
	return l.Err()
}
