package loadgen

import (
	"errors"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// Kinds of failed attempts counted in Stats.Errors.
const (
	kindDeadlock   = "deadlock"
	kindLockWait   = "lock wait timeout"
	kindDuplicate  = "duplicate key"
	kindConnection = "connection"
)

// classify tells what kind of failure err is and whether it is transient.
// Concurrent workers deadlock, wait on locks and race for the same new ids
// by design; errors from the driver rather than the server are taken for a
// lost connection. Any other server error is a fault of the workload.
func classify(err error) (kind string, transient bool) {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return kindConnection, true
	}
	switch me.Number {
	case gomysql.ER_LOCK_DEADLOCK:
		return kindDeadlock, true
	case gomysql.ER_LOCK_WAIT_TIMEOUT:
		return kindLockWait, true
	case gomysql.ER_DUP_ENTRY:
		return kindDuplicate, true
	case gomysql.ER_SERVER_SHUTDOWN, mysqlerr.ERConnectionKilled:
		return kindConnection, true
	}
	return "", false
}
