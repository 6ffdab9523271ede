package source

import (
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	driver "github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// Errors callers branch on.
var (
	// ErrPositionPurged reports that the start position is no longer in the
	// source's binary logs (ER_MASTER_FATAL_ERROR_READING_BINLOG).
	ErrPositionPurged = errors.New("the checkpointed position is no longer on the source: its binary logs " +
		"were purged, so the changes since then cannot be streamed. To recover, move the source to its current " +
		"position and copy its tables again, in one command with the service stopped: " +
		"`tributary checkpoint reset --source NAME --backfill`, then start the service (tributary run), which " +
		"streams from there and copies the tables meanwhile. A backfill copies the rows that exist; target rows " +
		"whose source rows were deleted meanwhile stay")
	// ErrPositionInvalid reports a start position the server cannot read
	// an event at: one set by hand in the middle of an event, or past it.
	ErrPositionInvalid = errors.New("the source cannot read its binary log at the checkpointed position: a file/pos " +
		"must be the start of an event (SHOW BINLOG EVENTS IN 'FILE' lists them, and a GTID avoids the question); set one " +
		"with `tributary checkpoint set --source NAME --file F --pos N` or `--gtid G` (service stopped). Nothing was purged")
	// ErrServerChanged reports a file/pos resume on a server other than the
	// one the position was taken on, without GTIDs to translate it.
	ErrServerChanged = errors.New("the checkpointed file/pos belongs to a different server and the position has no GTID set; " +
		"set a new position on this server with `tributary checkpoint set --source NAME --file F --pos N` (service " +
		"stopped), then start the service and run `tributary backfill --source NAME` to copy what may have been missed")
	// ErrKeyNotLogged reports a change whose partial row images
	// (binlog_row_image MINIMAL or NOBLOB) hold a key column in neither
	// image.
	ErrKeyNotLogged = errors.New("a row change does not identify its row")
)

// permanentError marks a failure that a reconnect cannot cure.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth a reconnect.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// transientServerErrors are server error codes after which a new connection
// may succeed: shutdown, killed or aborted connections, too many
// connections, lock waits and deadlocks, and lost connections.
var transientServerErrors = map[uint16]bool{
	gomysql.ER_CON_COUNT_ERROR:       true,
	gomysql.ER_SERVER_SHUTDOWN:       true,
	gomysql.ER_ABORTING_CONNECTION:   true,
	gomysql.ER_NET_READ_ERROR:        true,
	gomysql.ER_NET_READ_INTERRUPTED:  true,
	gomysql.ER_NET_ERROR_ON_WRITE:    true,
	gomysql.ER_NET_WRITE_INTERRUPTED: true,
	gomysql.ER_LOCK_WAIT_TIMEOUT:     true,
	gomysql.ER_LOCK_DEADLOCK:         true,
	gomysql.ER_QUERY_INTERRUPTED:     true,
	mysqlerr.ERConnectionKilled:      true,
	mysqlerr.CRServerGoneError:       true,
	mysqlerr.CRServerLost:            true,
	mysqlerr.ERSessionWasKilled:      true,
}

// isPermanent reports whether Run should stop on err instead of
// reconnecting. Server errors are permanent unless known to be transient
// (access denied, unknown database and the like need an operator); network
// and protocol errors are transient.
func isPermanent(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) || errors.Is(err, ErrPositionPurged) || errors.Is(err, ErrPositionInvalid) || errors.Is(err, ErrServerChanged) {
		return true
	}
	if code, ok := serverErrorCode(err); ok {
		return !transientServerErrors[code]
	}
	return false
}

// serverErrorCode extracts the server's error code from go-mysql and
// go-sql-driver errors.
func serverErrorCode(err error) (uint16, bool) {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return me.Code, true
	}
	var de *driver.MySQLError
	if errors.As(err, &de) {
		return de.Number, true
	}
	return 0, false
}

// classifyStreamError maps errors read from the binlog stream. The server
// sends ER_MASTER_FATAL_ERROR_READING_BINLOG when the dump cannot start at
// the requested position, which becomes ErrPositionPurged, and MySQL also
// when another replica registers with the same server id (MariaDB sends
// ER_SLAVE_SAME_ID). Malformed events lose the raw bytes go-mysql puts into
// their message (they may hold row values).
func classifyStreamError(err error) error {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		switch {
		case me.Code == mysqlerr.ERSlaveSameID ||
			(me.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG && strings.Contains(me.Message, "same server_uuid/server_id")):
			return permanent(fmt.Errorf("another replica registered with this reader's server id; "+
				"give every reader a server id unique among the source's replicas: %w", err))
		case me.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG && notAtEvent(me.Message):
			return fmt.Errorf("%w (server said: %s)", ErrPositionInvalid, me.Message)
		case me.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG:
			return fmt.Errorf("%w (server said: %s)", ErrPositionPurged, me.Message)
		}
	}
	var ee *replication.EventError
	if errors.As(err, &ee) {
		return permanent(eventError(ee))
	}
	return err
}

// notAtEvent reports whether the server's message says the dump's start
// is not where an event begins: it read bogus data there, or the position
// is past the file's end. A log cut short ("truncated in the middle of
// event") is not one: it is damaged where the position is right.
func notAtEvent(msg string) bool {
	for _, m := range []string{"bogus data in log event", "impossible position"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// eventError describes a malformed event without its data.
func eventError(ee *replication.EventError) error {
	msg := ee.Err
	for _, cut := range []string{", data ", " data "} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i]
		}
	}
	if ee.Header == nil {
		return fmt.Errorf("decoding binlog event: %s", msg)
	}
	return fmt.Errorf("decoding binlog %s event ending at %d: %s", ee.Header.EventType, ee.Header.LogPos, msg)
}
