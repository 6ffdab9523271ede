package lookup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/retry"
)

// locking is how a source's queries take their shared locks (see
// search.sql for why they lock at all).
//
// A locking read that waits can close a deadlock cycle with the
// application's own transactions, and InnoDB may pick the application's
// transaction as the victim. So queries first lock without waiting
// (NOWAIT): a busy row fails the query at once, and it is retried after a
// short pause, by which time the commit holding the lock has usually
// completed. Only a row that stays busy through every quick retry is read
// with a waiting lock, the last resort.
type locking struct {
	// nowait is the clause that fails instead of waiting; empty where the
	// server has none.
	nowait string
	// wait is the clause that waits for the lock.
	wait string
}

// busyRetries is the number of quick retries of a busy query before it
// waits; busyBackoff the pauses before them: random, below 1, 2, 4 … 64 ms,
// about 64 ms in all on average, so queries refused together do not come
// back together.
const busyRetries = 7

var busyBackoff = retry.Backoff{Min: time.Millisecond, Max: 64 * time.Millisecond}

// lockingFor chooses the clauses by the server's version: MariaDB 10.3 and
// later take LOCK IN SHARE MODE NOWAIT, MySQL 8.0 and later FOR SHARE
// NOWAIT; older servers only the waiting LOCK IN SHARE MODE.
func lockingFor(version string) locking {
	const wait = " LOCK IN SHARE MODE"
	major, minor := versionNumbers(version)
	switch {
	case strings.Contains(strings.ToLower(version), "mariadb"):
		if major > 10 || (major == 10 && minor >= 3) {
			return locking{nowait: wait + " NOWAIT", wait: wait}
		}
	case major >= 8:
		return locking{nowait: " FOR SHARE NOWAIT", wait: " FOR SHARE"}
	}
	return locking{wait: wait}
}

// versionNumbers returns the major and minor numbers a version string
// starts with ("10.11.6-MariaDB-0+deb12u1" gives 10, 11), zeros when it
// does not start with them.
func versionNumbers(v string) (major, minor int) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ = strconv.Atoi(parts[0])
	minor, _ = strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return major, minor
}

// busy reports whether err is a NOWAIT query's refusal to wait for a lock:
// MySQL's ER_LOCK_NOWAIT, MariaDB's ER_LOCK_WAIT_TIMEOUT.
func busy(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == mysqlerr.ERLockNowait || me.Number == gomysql.ER_LOCK_WAIT_TIMEOUT)
}

// locking returns the clauses of source, whose pool is db, asking its
// server once.
func (r *Resolver) locking(ctx context.Context, db *sql.DB, source string) (locking, error) {
	r.mu.Lock()
	l, ok := r.mu.locking[source]
	r.mu.Unlock()
	if ok {
		return l, nil
	}
	qctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	var version string
	if err := db.QueryRowContext(qctx, "SELECT VERSION()").Scan(&version); err != nil {
		return locking{}, fmt.Errorf("source %s: reading the server version: %w", source, r.timeoutError(ctx, qctx, err))
	}
	l = lockingFor(version)
	r.mu.Lock()
	r.mu.locking[source] = l
	r.mu.flavors[source] = flavorOf(version)
	r.mu.Unlock()
	return l, nil
}

// flavor returns the flavor of source, whose pool is db, asking its
// server once (with its locking clauses).
func (r *Resolver) flavor(ctx context.Context, db *sql.DB, source string) (string, error) {
	if _, err := r.locking(ctx, db, source); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.flavors[source], nil
}

// flavorOf returns change.MariaDB for a MariaDB server's version string,
// else change.MySQL.
func flavorOf(version string) string {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return change.MariaDB
	}
	return change.MySQL
}
