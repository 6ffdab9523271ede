package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// Error policies.
const (
	// OnErrorHalt makes Apply and Flush fail on a permanent error.
	OnErrorHalt = "halt"
	// OnErrorRecord records a permanently failing operation in the failed
	// store, counts it and goes on.
	OnErrorRecord = "record"
)

// Conflict policies for upserts that collide on a secondary unique key.
const (
	// OnConflictReplace deletes the colliding rows and applies the upsert
	// (see conflict.go for why that is right during a replay).
	OnConflictReplace = "replace"
	// OnConflictFail treats the collision as a permanent error.
	OnConflictFail = "fail"
)

// FailedStore keeps operations that failed permanently.
type FailedStore interface {
	// RecordFailed stores fc durably and returns its id.
	RecordFailed(fc checkpoint.FailedChange) (uint64, error)
}

var _ FailedStore = (*checkpoint.Store)(nil)

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

// Options configures a Sink. Zero fields take their defaults.
type Options struct {
	// DSN is the go-sql-driver DSN of the target (required). The session
	// settings the sink needs override what it says about them.
	DSN string
	// Workers is the number of parallel appliers; default 4.
	Workers int
	// RowsPerStatement caps the rows of one multi-row statement; default 500.
	RowsPerStatement int
	// StatementsPerTxn caps the statements of one target transaction;
	// default 20.
	StatementsPerTxn int
	// OnError is OnErrorHalt (default) or OnErrorRecord.
	OnError string
	// OnConflict is OnConflictReplace (default) or OnConflictFail.
	OnConflict string
	// Failed receives the failures under OnErrorRecord (required then).
	Failed FailedStore
	// Resolver reads the pending lookups of operations right before they
	// are written (see resolve.go); required only when operations carry
	// Pending lookups, which otherwise fail permanently.
	Resolver Resolver
	// Logger receives retries and failures, never row values; nil discards.
	Logger *slog.Logger
}

// ensureDefaults fills zero fields.
func (o *Options) ensureDefaults() {
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.RowsPerStatement == 0 {
		o.RowsPerStatement = 500
	}
	if o.StatementsPerTxn == 0 {
		o.StatementsPerTxn = 20
	}
	if o.OnError == "" {
		o.OnError = OnErrorHalt
	}
	if o.OnConflict == "" {
		o.OnConflict = OnConflictReplace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// validate reports every problem of o at once.
func (o *Options) validate() error {
	var errs []error
	if o.DSN == "" {
		errs = append(errs, errors.New("DSN is required"))
	}
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("Workers is %d, want at least 1", o.Workers))
	}
	if o.RowsPerStatement < 0 {
		errs = append(errs, fmt.Errorf("RowsPerStatement is %d, want at least 1", o.RowsPerStatement))
	}
	if o.StatementsPerTxn < 0 {
		errs = append(errs, fmt.Errorf("StatementsPerTxn is %d, want at least 1", o.StatementsPerTxn))
	}
	switch o.OnError {
	case OnErrorHalt:
	case OnErrorRecord:
		if o.Failed == nil {
			errs = append(errs, errors.New("Failed is required with OnError record"))
		}
	default:
		errs = append(errs, fmt.Errorf("OnError is %q, want halt or record", o.OnError))
	}
	if o.OnConflict != OnConflictReplace && o.OnConflict != OnConflictFail {
		errs = append(errs, fmt.Errorf("OnConflict is %q, want replace or fail", o.OnConflict))
	}
	return errors.Join(errs...)
}
