package admin

import (
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// UseLogger sends what the MySQL driver logs on its own, for the
// connections a command or the service opens from a DSN (verify's, a
// backfill's, the lookups'), to logger at Debug rather than as bare lines
// on stderr: the error it logs reaches the caller, which reports it.
func UseLogger(logger *slog.Logger) error { return mysqlerr.SetDriverLogger(logger) }
