package source

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/change"
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
}

// Options configure a Reader. Zero fields take their defaults.
type Options struct {
	// Name is the source's configured name; it tags every Txn and log line.
	Name string
	// Host and Port address the source server.
	Host string
	Port uint16
	// User and Password authenticate the replication user. The password is
	// never logged.
	User, Password string
	// Flavor is change.MySQL or change.MariaDB; "" (or "auto") detects it
	// from VERSION().
	Flavor string
	// ServerID is the replica server id the reader registers with; it must
	// be non-zero and unique among the source's replicas.
	ServerID uint32
	// AllowPartialRowImage accepts binlog_row_image MINIMAL or NOBLOB. Rows
	// then lack the columns the server left out (they read as NULL).
	AllowPartialRowImage bool
	// History records and serves table descriptions across DDL. Without
	// it only binlog_row_metadata=FULL works.
	History SchemaHistory
	// Include selects tables; nil includes all. Rows of excluded tables are
	// skipped before their values are decoded. It is called from the
	// binlog connection's goroutine and must be safe for concurrent use.
	Include func(schema, table string) bool
	// MaxPartChanges bounds the changes in one Txn part (default 1000).
	MaxPartChanges int
	// MaxPartBytes bounds the approximate value bytes in one Txn part
	// (default 8 MiB); a single larger row gets a part of its own.
	MaxPartBytes int
	// Logger receives the reader's and go-mysql's messages; nil uses
	// slog.Default().
	Logger *slog.Logger
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
	if o.Flavor == "auto" {
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
