package mysqlerr

import (
	"fmt"
	"log/slog"

	"github.com/go-sql-driver/mysql"
)

// DriverLogger returns a logger for go-sql-driver that writes its
// messages (a pooled connection found closed after a server restart, a
// connection reset under a query) to l at Debug: the error reaches the
// caller too, which reports it with its context, retried or not, so at a
// higher level it would be said twice.
func DriverLogger(l *slog.Logger) mysql.Logger { return driverLogger{l} }

// SetDriverLogger makes DriverLogger(l) the logger of every connection
// configured without one of its own (those opened from a DSN), instead
// of the driver's own lines on stderr.
func SetDriverLogger(l *slog.Logger) error { return mysql.SetLogger(DriverLogger(l)) }

type driverLogger struct{ l *slog.Logger }

func (d driverLogger) Print(v ...any) {
	d.l.Debug(fmt.Sprint(v...), "component", "mysql-driver")
}
