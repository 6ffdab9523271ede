package loadgen

import (
	"errors"

	"github.com/go-sql-driver/mysql"
)

// Kinds of failed attempts counted in Stats.Errors.
const (
	kindDeadlock   = "deadlock"
	kindLockWait   = "lock wait timeout"
	kindDuplicate  = "duplicate key"
	kindConnection = "connection"
)

// Server error numbers the workload expects now and then.
const (
	erDupEntry        = 1062
	erLockWaitTimeout = 1205
	erLockDeadlock    = 1213
	erServerShutdown  = 1053
	erConnKilled      = 1927
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
	case erLockDeadlock:
		return kindDeadlock, true
	case erLockWaitTimeout:
		return kindLockWait, true
	case erDupEntry:
		return kindDuplicate, true
	case erServerShutdown, erConnKilled:
		return kindConnection, true
	}
	return "", false
}
