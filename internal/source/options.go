package source

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/tlsconf"
)

// Defaults for the zero fields of Options.
const (
	// DefaultMaxPartChanges is the default of Options.MaxPartChanges.
	DefaultMaxPartChanges = 1000
	// DefaultMaxPartBytes is the default of Options.MaxPartBytes.
	DefaultMaxPartBytes = 8 << 20
)

// SchemaHistory keeps table descriptions by binlog ordinal so rows are
// decoded with the columns they had when they were written, also when the
// table map carries no column names (binlog_row_metadata MINIMAL or NO_LOG).
// The checkpoint store implements it.
type SchemaHistory interface {
	// PutSchema records t as the description of schema.table from ordinal
	// on; nil records that the table no longer exists.
	PutSchema(source string, ordinal uint64, schema, table string, t *change.Table) error
	// Schema returns the latest description recorded at or before ordinal.
	// Any error, a missing or dropped entry included, makes the reader fall
	// back to the table's current description, which it then records.
	Schema(source string, ordinal uint64, schema, table string) (*change.Table, error)
	// SchemaTablesIn returns the tables of schema with a recorded
	// history, dropped ones included.
	SchemaTablesIn(source, schema string) ([]string, error)
}

// Options configure a Reader; their settings are also one entry of the
// service configuration's sources list, declared, documented, defaulted
// and checked here only (settings.go). Zero fields take their defaults. The
// server is reached either through DataSourceName or through Host, Port,
// User and PasswordEnv; after EnsureDefaults, Host, Port, User and
// Password hold the resolved values in both cases.
type Options struct {
	// Name identifies the source in positions, metrics and logs; it tags
	// every Txn and log line (required, unique, [a-z0-9][a-z0-9_-]*).
	Name string `yaml:"name"`
	// DataSourceName is a go-sql-driver/mysql DSN such as
	// user:pass@tcp(host:port)/; it excludes Host, Port, User and
	// PasswordEnv. Its parameters (tls, timeouts) are kept for the
	// queries sent to the source. It holds the password, so it is never
	// printed.
	DataSourceName string `yaml:"dsn" json:"-"`
	// Host is the server address (without DataSourceName: required).
	Host string `yaml:"host"`
	// Port is the server port (default dsn.DefaultPort).
	Port uint16 `yaml:"port"`
	// User is the replication user (required when Host is set).
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password
	// (optional; an empty password when unset).
	PasswordEnv string `yaml:"password_env"`
	// PasswordFile names a file holding the password, read (and trimmed)
	// for every new connection, so a rotated file is picked up.
	PasswordFile string `yaml:"password_file"`
	// PasswordSecret is the ARN of an AWS Secrets Manager secret holding
	// the password (JSON with a "password" field, or the plain password);
	// it is cached and read again when the server refuses it.
	PasswordSecret string `yaml:"password_secret"`
	// IAMAuth signs an RDS/Aurora IAM authentication token as the password
	// of every new connection, binlog reconnects included; it needs TLS.
	IAMAuth bool `yaml:"iam_auth"`
	// AWSRegion is the region of PasswordSecret or of the IAM database
	// (default: the secret ARN's, then AWS_REGION and the AWS config).
	AWSRegion string `yaml:"aws_region"`
	// TLS secures the binlog connection and every SQL connection to the
	// source (preflight, schema, backfill, lookups).
	TLS tlsconf.Options `yaml:"tls"`
	// Flavor is FlavorAuto (the default: detected from VERSION() when the
	// reader connects), change.MySQL (MySQL, Aurora MySQL) or
	// change.MariaDB.
	Flavor string `yaml:"flavor"`
	// ServerID is the replica server id the reader registers with
	// (required, unique among the source's replicas and across sources).
	ServerID uint32 `yaml:"server_id"`
	// AllowPartialRowImage accepts binlog_row_image MINIMAL or NOBLOB,
	// which the reader refuses by default. Rows then lack the columns the
	// server left out (they read as NULL).
	AllowPartialRowImage bool `yaml:"allow_partial_row_image"`
	// Start says where the source starts when the store holds no
	// checkpoint for it: StartCurrent, StartEarliest or StartGTIDPrefix
	// followed by a GTID set. Empty refuses to start without a checkpoint
	// (unless the service is told to, see replicator.Options.Init). A
	// checkpoint, once saved, always wins.
	Start string `yaml:"start"`
	// Backfill is BackfillNever (the default) or BackfillInitial: on the
	// source's first start (no checkpoint) copy the rows its mapped tables
	// already hold, then keep streaming. It is itself a deliberate start:
	// without Start the source starts at its current position.
	Backfill string `yaml:"backfill"`
	// BackfillChunkRows is the number of rows of a table's first backfill
	// chunk (default 1000, at most MaxBackfillChunkRows); later chunks
	// adapt to BackfillChunkTime.
	BackfillChunkRows int `yaml:"backfill_chunk_rows"`
	// BackfillChunkRowsMax bounds the chunk size the backfill adapts
	// towards BackfillChunkTime (default 20,000, at most
	// MaxBackfillChunkRows); equal to BackfillChunkRows it fixes the
	// size. A chunk is held in memory until merged.
	BackfillChunkRowsMax int `yaml:"backfill_chunk_rows_max"`
	// BackfillChunkTime is how long reading one chunk should take
	// (default 500ms): the chunk size grows or shrinks between 100 rows
	// and BackfillChunkRowsMax towards it.
	BackfillChunkTime time.Duration `yaml:"backfill_chunk_time"`
	// BackfillWorkers is how many tables of the source are copied at
	// once (default 2, at most MaxBackfillWorkers); each table is copied
	// chunk after chunk. With BackfillWatermarksGTID a source copies one
	// chunk at a time: it must then be unset or 1.
	BackfillWorkers int `yaml:"backfill_workers"`
	// BackfillMaxRowsPerSecond caps the rows the source's backfill reads
	// per second, over all its workers (0, the default, is no cap).
	BackfillMaxRowsPerSecond int `yaml:"backfill_max_rows_per_second"`
	// BackfillMaxThreadsRunning pauses the backfill between chunks while
	// the source's Threads_running is above it (0, the default, is off).
	BackfillMaxThreadsRunning int `yaml:"backfill_max_threads_running"`
	// BackfillWatermarks is how a backfill bounds each chunk in the
	// stream: BackfillWatermarksTable (the default) writes watermark rows
	// into a table on the writer; BackfillWatermarksGTID writes nothing
	// and takes GTID sets instead, for sources that must not be written.
	BackfillWatermarks string `yaml:"backfill_watermarks"`
	// BackfillReadHost and BackfillReadPort name a replica of the source
	// (an Aurora reader, a MariaDB or MySQL replica) that a backfill reads
	// its chunks from, with the source's user, password and DSN
	// parameters; empty reads on the source itself. They need
	// BackfillWatermarksGTID. BackfillReadPort defaults to the source's
	// port.
	BackfillReadHost string `yaml:"backfill_read_host"`
	BackfillReadPort uint16 `yaml:"backfill_read_port"`
	// HeartbeatInterval, when set, makes the service write a row into
	// tributary.heartbeat on the source at that interval, so that the
	// lag of an idle source is measured end to end rather than inferred
	// (0, the default, writes nothing).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`

	// Password is resolved from DataSourceName or PasswordEnv; it never
	// comes from the file directly and is never printed or logged.
	Password string `yaml:"-" json:"-"`

	// base keeps the parameters of DataSourceName (tls, timeouts) for DSN.
	base *mysql.Config
	// fromDSN records that Host, Port, User and Password were resolved
	// from DataSourceName rather than set beside it.
	fromDSN bool
	// conn is what EnsureDefaults resolves for connecting (password
	// provider, registered TLS name); shared by the copies of the options.
	conn *connState

	// History records and serves table descriptions across DDL. Without
	// it only binlog_row_metadata=FULL works.
	History SchemaHistory `yaml:"-" json:"-"`
	// Include selects tables; nil includes all. Rows of excluded tables are
	// skipped before their values are decoded. It is called from the
	// binlog connection's goroutine and must be safe for concurrent use.
	Include func(schema, table string) bool `yaml:"-" json:"-"`
	// MaxPartChanges bounds the changes in one Txn part (default 1000).
	MaxPartChanges int `yaml:"-"`
	// MaxPartBytes bounds the approximate value bytes in one Txn part
	// (default 8 MiB); a single larger row gets a part of its own.
	MaxPartBytes int `yaml:"-"`
	// Logger receives the reader's and go-mysql's messages; nil uses
	// slog.Default().
	Logger *slog.Logger `yaml:"-" json:"-"`
}

// withDefaults returns o with defaults filled in.
func (o Options) withDefaults() Options {
	if o.MaxPartChanges <= 0 {
		o.MaxPartChanges = DefaultMaxPartChanges
	}
	if o.MaxPartBytes <= 0 {
		o.MaxPartBytes = DefaultMaxPartBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Flavor == FlavorAuto {
		o.Flavor = ""
	}
	return o
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if o.Host == "" {
		errs = append(errs, errors.New("host is empty"))
	}
	if o.ServerID == 0 {
		errs = append(errs, errors.New("server id is 0; choose a non-zero replica server id unique among the source's replicas"))
	}
	switch o.Flavor {
	case "", change.MySQL, change.MariaDB:
	default:
		errs = append(errs, fmt.Errorf("flavor %q is neither %q nor %q", o.Flavor, change.MySQL, change.MariaDB))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("checking options of source %q: %w", o.Name, errors.Join(errs...))
}
