package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// isolationVariable returns the session variable that sets the isolation
// of the sink's sessions to READ COMMITTED on the target connector reaches,
// or "" where they must keep the server's default.
//
// Why READ COMMITTED. At REPEATABLE READ, InnoDB locks the gaps before
// the rows an INSERT ... SELECT (the insert form of a run of updates) or
// a joined UPDATE scans, and workers writing neighbouring key ranges
// deadlock on them: the target refuses one batch, which is rolled back,
// retried after a backoff and written again (19 times in the recipes
// drain, a tenth of its time). Each worker writes rows of its own keys
// only, and reads the target to find which of them exist, so a read
// without locks finds what a locking one would. READ COMMITTED locks no
// gaps. (Another client's delete of a row between the insert form's read
// and its write no longer waits for the read's lock: the write then
// inserts the row anew. Targets are the sink's to write.)
//
// Where not. A target that writes its binlog in STATEMENT format refuses
// InnoDB writes at READ COMMITTED (error 1665): it keeps its default, and
// the workers' deadlocks are retried as before.
//
// MySQL and MariaDB 11.1 and later name the variable transaction_isolation;
// MariaDB before 11.1 only tx_isolation.
func isolationVariable(ctx context.Context, connector driver.Connector) (string, error) {
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	var logBin int
	var format string
	if err := db.QueryRowContext(ctx, "SELECT @@log_bin, @@binlog_format").Scan(&logBin, &format); err != nil {
		return "", fmt.Errorf("reading the target's binlog settings: %w", err)
	}
	if logBin == 1 && strings.EqualFold(format, "STATEMENT") {
		return "", nil
	}
	var level string
	err := db.QueryRowContext(ctx, "SELECT @@transaction_isolation").Scan(&level)
	var me *mysql.MySQLError
	switch {
	case err == nil:
		return "transaction_isolation", nil
	case errors.As(err, &me) && me.Number == gomysql.ER_UNKNOWN_SYSTEM_VARIABLE:
		return "tx_isolation", nil
	}
	return "", fmt.Errorf("reading the target's isolation level: %w", err)
}
