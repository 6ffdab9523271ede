package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// Errors callers branch on.
var (
	// ErrPermanent reports an operation the target refuses for a reason that
	// retrying cannot fix (duplicate secondary key, data too long, foreign
	// key, NULL in a NOT NULL column, ...), whose lookups fail for such a
	// reason, or that the sink must not apply (a Reject).
	ErrPermanent = errors.New("mysql sink: permanent error")
	// ErrClosed reports a call on a Sink after Close.
	ErrClosed = errors.New("mysql sink: closed")
)

// ApplyError describes an operation that failed permanently. It names where
// the operation comes from but its text holds no row values: the target's
// messages that may quote them are withheld (mysqlerr.Redact), and kept
// whole in the failed-changes store only. errors.Is(err, ErrPermanent)
// holds.
type ApplyError struct {
	// Target is the target table, "schema.table".
	Target string
	// Op is the operation's kind: "upsert", "update", "delete", or
	// "reject" (never sent: Err says why) and "rederive" (which must not
	// reach a sink).
	Op string
	// Source, Seq, GTID and Position identify the source transaction.
	Source   string
	Seq      uint64
	GTID     string
	Position change.Position
	// Err is the target's error, redacted: its text gives the code and
	// SQLSTATE of a server error whose message may quote row values, not
	// the message.
	Err error
}

// Error names the table, the source transaction and the target's error.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("applying %s to %s from source %s transaction %d (gtid %q, %s): %v",
		e.Op, e.Target, e.Source, e.Seq, e.GTID, e.Position, e.Err)
}

// Unwrap returns ErrPermanent and the target's error.
func (e *ApplyError) Unwrap() []error { return []error{ErrPermanent, e.Err} }

// isTransient reports whether err may succeed when retried. An error
// classified where it arose keeps its class. Server errors are transient
// only when listed; errors without a server code are lost or refused
// connections and are transient, except argument conversion errors.
func isTransient(err error) bool {
	var c *classified
	if errors.As(err, &c) {
		return c.transient
	}
	if transient, known := mysqlerr.TransientCode(err); known {
		return transient
	}
	if mysqlerr.ConnectionLost(err) {
		return true
	}
	if strings.HasPrefix(err.Error(), "sql: converting argument") {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// classified is an error whose retry class was decided where it arose.
// isTransient takes an error without a server code for a lost connection,
// which holds for the driver's errors but not for the sink's own checks or
// for a lookup that fails for a reason of its own.
type classified struct {
	err       error
	transient bool
}

func (e *classified) Error() string { return e.err.Error() }

// Unwrap returns the classified error.
func (e *classified) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error { return &classified{err: err} }

// lookupTransient reports whether an error of the Resolver may go away when
// retried: a listed server error, a lost connection, or a lookup timeout
// while ctx, the worker's, is still alive (once it ends the worker stops
// anyway). Anything else a lookup reports (two rows where one may match,
// an unknown column) is permanent.
func lookupTransient(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return ctx.Err() == nil
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if transient, known := mysqlerr.TransientCode(err); known {
		return transient
	}
	return mysqlerr.ConnectionLost(err)
}

// errorCode returns the server error number of err, or 0.
func errorCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// errSecondaryDuplicate replaces the error of upsertSQL's key guard. Its
// message is the sink's own and quotes nothing, so it is logged although
// the server's messages for its code are withheld.
var errSecondaryDuplicate = func() error {
	me := &mysql.MySQLError{Number: gomysql.ER_DUP_ENTRY, SQLState: [5]byte{'2', '3', '0', '0', '0'},
		Message: "Duplicate entry on a unique key held by a row with another primary key"}
	return mysqlerr.NewRedacted(me, me.Error())
}()

// itemsKeyGuardError is keyGuardError for a statement or run of items:
// the error of the key guard of one of their upserts reads as a NULL key
// in the log otherwise.
func itemsKeyGuardError(items []item, err error) error {
	for i := range items {
		if e := keyGuardError(&items[i].op, err); e != err {
			return e
		}
	}
	return err
}

// keyGuardError returns errSecondaryDuplicate when err is the NULL that
// upsertSQL's key guard assigns to op's first key column, else err.
func keyGuardError(op *change.TargetOp, err error) error {
	var me *mysql.MySQLError
	if op.Kind != change.Upsert || op.Key[0] == nil || !errors.As(err, &me) || me.Number != gomysql.ER_BAD_NULL_ERROR ||
		!strings.Contains(me.Message, "'"+op.Target.Key[0]+"'") {
		return err
	}
	return errSecondaryDuplicate
}
