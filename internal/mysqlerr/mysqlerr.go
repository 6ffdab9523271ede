// Package mysqlerr classifies errors of MySQL-compatible servers and of the
// connections to them, for every caller that retries (the target writer
// and the lookups against the sources), and withholds the messages that
// may quote row values from what is logged.
package mysqlerr

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// Error codes that go-mysql's mysql package does not name: its list stops
// at MySQL 5.6's last server error (ER_ERROR_LAST, 1863) and leaves out
// the client library's errors and MariaDB's own.
const (
	// ERConnectionKilled is MariaDB's ER_CONNECTION_KILLED: the connection
	// was killed (KILL, or the server is shutting down).
	ERConnectionKilled = 1927
	// ERSessionWasKilled is MySQL's ER_SESSION_WAS_KILLED (5.7 and later).
	ERSessionWasKilled = 3169
	// ERLockNowait is MySQL's ER_LOCK_NOWAIT (8.0 and later): a NOWAIT
	// query would have had to wait for a lock.
	ERLockNowait = 3572
	// ERSlaveSameID is MariaDB's ER_SLAVE_SAME_ID: another replica is
	// registered with the same server id.
	ERSlaveSameID = 4052
	// CRServerGoneError and CRServerLost are the client library's
	// CR_SERVER_GONE_ERROR and CR_SERVER_LOST; proxies pass them on as
	// server errors.
	CRServerGoneError = 2006
	CRServerLost      = 2013
)

// transientCodes are server errors that go away on their own: connection
// limits, shutdowns, network errors, lock waits and deadlocks, a read-only
// server during failover, killed queries and lost connections.
var transientCodes = map[uint16]bool{
	gomysql.ER_CON_COUNT_ERROR:           true,
	gomysql.ER_SERVER_SHUTDOWN:           true,
	gomysql.ER_NET_READ_ERROR:            true,
	gomysql.ER_NET_READ_INTERRUPTED:      true,
	gomysql.ER_NET_ERROR_ON_WRITE:        true,
	gomysql.ER_NET_WRITE_INTERRUPTED:     true,
	gomysql.ER_LOCK_WAIT_TIMEOUT:         true,
	gomysql.ER_LOCK_DEADLOCK:             true,
	gomysql.ER_OPTION_PREVENTS_STATEMENT: true, // --read-only
	gomysql.ER_QUERY_INTERRUPTED:         true,
	gomysql.ER_READ_ONLY_MODE:            true,
	ERConnectionKilled:                   true,
	CRServerGoneError:                    true,
	CRServerLost:                         true,
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

// Unreachable reports whether err says a server could not be reached or
// cannot take a connection now: a lost, refused or timed-out connection
// (ConnectionLost), too many connections, a server shutting down or
// killing the connection.
func Unreachable(err error) bool {
	if ConnectionLost(err) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case gomysql.ER_CON_COUNT_ERROR, gomysql.ER_SERVER_SHUTDOWN, ERConnectionKilled, CRServerGoneError, CRServerLost:
			return true
		}
	}
	return false
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
