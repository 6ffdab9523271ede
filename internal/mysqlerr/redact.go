package mysqlerr

import (
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// Error codes that go-mysql does not name, whose messages name no value.
const (
	// ERStatementTimeout is MariaDB's ER_STATEMENT_TIMEOUT: the statement
	// ran past max_statement_time.
	ERStatementTimeout = 1969
	// ERQueryTimeout is MySQL's ER_QUERY_TIMEOUT (5.7 and later): the
	// statement ran past max_execution_time.
	ERQueryTimeout = 3024
)

// verbatim lists the server errors whose messages are known to name only
// objects (users, databases, tables, columns) and limits, never a value of
// a row: only those are logged as the server wrote them. Any other message
// may quote row values: a duplicate key quotes the key, a trigger's SIGNAL
// says whatever the trigger put in it, a conversion error quotes the value
// it could not convert, and statements are sent with their values
// interpolated, so a syntax error quotes them too.
var verbatim = map[uint16]bool{
	gomysql.ER_CON_COUNT_ERROR:              true, // Too many connections
	gomysql.ER_DBACCESS_DENIED_ERROR:        true,
	gomysql.ER_ACCESS_DENIED_ERROR:          true,
	gomysql.ER_BAD_NULL_ERROR:               true, // Column 'c' cannot be null
	gomysql.ER_BAD_DB_ERROR:                 true,
	gomysql.ER_SERVER_SHUTDOWN:              true,
	gomysql.ER_BAD_FIELD_ERROR:              true, // Unknown column
	gomysql.ER_WRONG_VALUE_COUNT_ON_ROW:     true,
	gomysql.ER_TABLEACCESS_DENIED_ERROR:     true,
	gomysql.ER_COLUMNACCESS_DENIED_ERROR:    true,
	gomysql.ER_NO_SUCH_TABLE:                true,
	gomysql.ER_NET_PACKET_TOO_LARGE:         true,
	gomysql.ER_NET_READ_ERROR:               true,
	gomysql.ER_NET_READ_INTERRUPTED:         true,
	gomysql.ER_NET_ERROR_ON_WRITE:           true,
	gomysql.ER_NET_WRITE_INTERRUPTED:        true,
	gomysql.ER_LOCK_WAIT_TIMEOUT:            true,
	gomysql.ER_LOCK_DEADLOCK:                true,
	gomysql.ER_SPECIFIC_ACCESS_DENIED_ERROR: true,
	gomysql.ER_OPTION_PREVENTS_STATEMENT:    true, // --read-only
	gomysql.ER_QUERY_INTERRUPTED:            true,
	gomysql.ER_NO_DEFAULT_FOR_FIELD:         true, // Field 'c' doesn't have a default value
	gomysql.ER_NEED_REPREPARE:               true,
	gomysql.ER_READ_ONLY_MODE:               true,
	ERConnectionKilled:                      true,
	ERStatementTimeout:                      true,
	ERSessionWasKilled:                      true,
	ERQueryTimeout:                          true,
	ERLockNowait:                            true,
	CRServerGoneError:                       true,
	CRServerLost:                            true,
}

// Verbatim reports whether the server's message for error code names no
// row value, so it may be logged as it is.
func Verbatim(code uint16) bool { return verbatim[code] }

// Redacted is an error whose text leaves out the messages of the server
// errors in it that may quote row values: each reads "error N (SQLSTATE):
// message withheld". Unwrap returns the original error, so errors.Is,
// errors.As and the classification of this package see it unchanged;
// Unredacted gives its full text back.
type Redacted struct {
	err  error
	text string
}

// Error returns the text without the withheld messages.
func (e *Redacted) Error() string { return e.text }

// Unwrap returns the original error.
func (e *Redacted) Unwrap() error { return e.err }

// NewRedacted returns err with text for its text, for an error whose own
// text the caller knows may quote values.
func NewRedacted(err error, text string) *Redacted { return &Redacted{err: err, text: text} }

// Redact returns err fit to log and to return to callers that log it: the
// message of every server error in err whose code is not Verbatim is
// withheld. It returns err itself when nothing is withheld, and nil for
// nil.
func Redact(err error) error {
	if err == nil {
		return nil
	}
	var hidden []*mysql.MySQLError
	collect(err, &hidden)
	if len(hidden) == 0 {
		return err
	}
	text := err.Error()
	for _, me := range hidden {
		text = strings.ReplaceAll(text, me.Error(), withheld(me))
	}
	for _, me := range hidden {
		if me.Message != "" && strings.Contains(text, me.Message) {
			// A wrapper repeats the message in a form of its own: keep
			// only the codes.
			codes := make([]string, len(hidden))
			for i, me := range hidden {
				codes[i] = withheld(me)
			}
			text = strings.Join(codes, "; ")
			break
		}
	}
	return &Redacted{err: err, text: text}
}

// Unredacted returns the text of err with the messages Redact withheld in
// it put back, for the failed-changes store, never for a log.
func Unredacted(err error) string {
	text := err.Error()
	var found []*Redacted
	collectRedacted(err, &found)
	for _, r := range found {
		text = strings.ReplaceAll(text, r.text, Unredacted(r.err))
	}
	return text
}

// withheld is the text that replaces me's.
func withheld(me *mysql.MySQLError) string {
	if me.SQLState == [5]byte{} {
		return fmt.Sprintf("error %d: message withheld", me.Number)
	}
	return fmt.Sprintf("error %d (%s): message withheld", me.Number, me.SQLState)
}

// collect appends the server errors of err's tree whose messages may quote
// values, leaving out those inside a Redacted.
func collect(err error, out *[]*mysql.MySQLError) {
	var me *mysql.MySQLError
	switch e := err.(type) {
	case *Redacted:
		return
	case *mysql.MySQLError:
		if !verbatim[e.Number] {
			*out = append(*out, e)
		}
		return
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			collect(inner, out)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if inner != nil {
				collect(inner, out)
			}
		}
	default:
		// An error type with an As method of its own: nothing else to
		// walk, but it must not slip through.
		if errors.As(err, &me) && !verbatim[me.Number] {
			*out = append(*out, me)
		}
	}
}

// collectRedacted appends the outermost Redacted errors of err's tree.
func collectRedacted(err error, out *[]*Redacted) {
	switch e := err.(type) {
	case *Redacted:
		*out = append(*out, e)
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			collectRedacted(inner, out)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if inner != nil {
				collectRedacted(inner, out)
			}
		}
	}
}
