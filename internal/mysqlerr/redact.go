package mysqlerr

import (
	"errors"
	"fmt"
	"regexp"
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
// a row, each with the forms of its message (MySQL's and MariaDB's, in
// English): only those are logged as the server wrote them. Any other
// message may quote row values: a duplicate key quotes the key, a
// trigger's SIGNAL says whatever the trigger put in it, a conversion error
// quotes the value it could not convert, and statements are sent with
// their values interpolated, so a syntax error quotes them too. The form
// matters as much as the code: a SIGNAL may give any code (SET
// MYSQL_ERRNO = 1213) with a message of its own, which is withheld; so is
// a server's message in another language.
var verbatim = map[uint16]*regexp.Regexp{
	gomysql.ER_CON_COUNT_ERROR:              form(`Too many connections`),
	gomysql.ER_DBACCESS_DENIED_ERROR:        form(`Access denied for user '.*'@'.*' to database '.*'`),
	gomysql.ER_ACCESS_DENIED_ERROR:          form(`Access denied for user '.*'@'.*' \(using password: (YES|NO)\)`),
	gomysql.ER_BAD_NULL_ERROR:               form(`Column '.*' cannot be null`),
	gomysql.ER_BAD_DB_ERROR:                 form(`Unknown database '.*'`),
	gomysql.ER_SERVER_SHUTDOWN:              form(`Server shutdown in progress`),
	gomysql.ER_BAD_FIELD_ERROR:              form(`Unknown column '.*' in '.*'`),
	gomysql.ER_WRONG_VALUE_COUNT_ON_ROW:     form(`Column count doesn't match value count at row \d+`),
	gomysql.ER_TABLEACCESS_DENIED_ERROR:     form(`\w+( \w+)* command denied to user '.*'@'.*' for table .*`),
	gomysql.ER_COLUMNACCESS_DENIED_ERROR:    form(`\w+( \w+)* command denied to user '.*'@'.*' for column '.*' in table '.*'`),
	gomysql.ER_NO_SUCH_TABLE:                form(`Table '.*' doesn't exist`),
	gomysql.ER_NET_PACKET_TOO_LARGE:         form(`Got a packet bigger than 'max_allowed_packet' bytes`),
	gomysql.ER_NET_READ_ERROR:               form(`Got an error reading communication packets`),
	gomysql.ER_NET_READ_INTERRUPTED:         form(`Got timeout reading communication packets`),
	gomysql.ER_NET_ERROR_ON_WRITE:           form(`Got an error writing communication packets`),
	gomysql.ER_NET_WRITE_INTERRUPTED:        form(`Got timeout writing communication packets`),
	gomysql.ER_LOCK_WAIT_TIMEOUT:            form(`Lock wait timeout exceeded; try restarting transaction`),
	gomysql.ER_LOCK_DEADLOCK:                form(`Deadlock found when trying to get lock; try restarting transaction`),
	gomysql.ER_SPECIFIC_ACCESS_DENIED_ERROR: form(`Access denied; you need \(at least one of\) the .* privilege\(s\) for this operation`),
	gomysql.ER_OPTION_PREVENTS_STATEMENT:    form(`The (MySQL|MariaDB) server is running with the .* option so it cannot execute this statement`),
	gomysql.ER_QUERY_INTERRUPTED:            form(`Query execution was interrupted`),
	gomysql.ER_NO_DEFAULT_FOR_FIELD:         form(`Field '.*' doesn't have a default value`),
	gomysql.ER_NEED_REPREPARE:               form(`Prepared statement needs to be re-prepared`),
	gomysql.ER_READ_ONLY_MODE:               form(`Running in read-only mode`),
	ERConnectionKilled:                      form(`Connection was killed`),
	ERStatementTimeout:                      form(`Query execution was interrupted \(max_statement_time exceeded\)`),
	ERSessionWasKilled:                      form(`Session was killed`),
	ERQueryTimeout:                          form(`Query execution was interrupted, maximum statement execution time exceeded`),
	ERLockNowait:                            form(`Statement aborted because lock\(s\) could not be acquired immediately and NOWAIT is set\.?`),
	CRServerGoneError:                       form(`(MySQL|MariaDB) server has gone away`),
	CRServerLost:                            form(`Lost connection to (MySQL|MariaDB) server.*`),
}

// form compiles the whole-message pattern of a verbatim error.
func form(pattern string) *regexp.Regexp { return regexp.MustCompile(`\A` + pattern + `\z`) }

// Verbatim reports whether the server's messages for error code name no
// row value in their known forms, so a message of that form may be
// logged as it is.
func Verbatim(code uint16) bool { return verbatim[code] != nil }

// logged reports whether me may be logged as it is: a Verbatim code with
// a message of one of its known forms.
func logged(me *mysql.MySQLError) bool {
	f := verbatim[me.Number]
	return f != nil && f.MatchString(me.Message)
}

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
// message of every server error in err that is not of a Verbatim code and
// one of its known forms is withheld. It returns err itself when nothing is withheld, and nil for
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
		if !logged(e) {
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
		if errors.As(err, &me) && !logged(me) {
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
