package lookup

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

// ErrPermanent is matched (errors.Is) by every error that retrying cannot
// fix: an unknown source, a missing table or column, a lookup whose match
// columns find several rows, a malformed lookup or operation.
var ErrPermanent = errors.New("permanent lookup error")

// permanentError marks err as permanent while keeping it reachable.
type permanentError struct{ err error }

// Error returns the wrapped message.
func (e *permanentError) Error() string { return e.err.Error() }

// Unwrap returns ErrPermanent and the wrapped error.
func (e *permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// permanentf formats a permanent error; %w verbs keep their operands
// reachable.
func permanentf(format string, args ...any) error {
	return &permanentError{fmt.Errorf(format, args...)}
}

// transientCodes are server errors that go away on their own: connection
// limits, shutdowns, network errors, lock waits and deadlocks, a read-only
// server during failover, killed queries and lost connections.
var transientCodes = map[uint16]bool{
	1040: true,                                     // ER_CON_COUNT_ERROR: too many connections
	1053: true,                                     // ER_SERVER_SHUTDOWN
	1158: true, 1159: true, 1160: true, 1161: true, // network read/write errors and timeouts
	1205: true, // ER_LOCK_WAIT_TIMEOUT
	1213: true, // ER_LOCK_DEADLOCK
	1290: true, // ER_OPTION_PREVENTS_STATEMENT (--read-only)
	1317: true, // ER_QUERY_INTERRUPTED
	1836: true, // ER_READ_ONLY_MODE
	1927: true, // ER_CONNECTION_KILLED (MariaDB)
	2006: true, // CR_SERVER_GONE_ERROR
	2013: true, // CR_SERVER_LOST
}

// IsTransient reports whether a Resolve or Expand that failed with err may
// succeed when retried: timeouts, lost or refused connections and the
// server errors listed in transientCodes. Permanent errors, other server
// errors (access denied, syntax) and cancellation are not transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, ErrPermanent) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return transientCodes[me.Number]
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
