// Package mysqlerr classifies errors of MySQL-compatible servers and of the
// connections to them, for every caller that retries: the target writer
// and the lookups against the sources.
package mysqlerr

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

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

// TransientCode reports whether err carries a server error code that
// retrying can outlive; known reports whether err carries a code at all.
func TransientCode(err error) (transient, known bool) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return transientCodes[me.Number], true
	}
	return false, false
}

// ConnectionLost reports whether err is a lost, reset or refused
// connection, or a network timeout.
func ConnectionLost(err error) bool {
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
