package lookup

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// ErrPermanent is matched (errors.Is) by every error that retrying cannot
// fix: an unknown source, a missing table or column, a lookup whose match
// columns find several rows, a malformed lookup or operation.
var ErrPermanent = errors.New("permanent lookup error")

// permanentError marks err as permanent while keeping it reachable.
type permanentError struct{ err error }

// Error returns the wrapped message.
func (e *permanentError) Error() string { return e.err.Error() }

// Unwrap returns ErrPermanent and the wrapped error.
func (e *permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }

// permanentf formats a permanent error; %w verbs keep their operands
// reachable.
func permanentf(format string, args ...any) error {
	return &permanentError{fmt.Errorf(format, args...)}
}

// IsTransient reports whether a Resolve or Expand that failed with err may
// succeed when retried: timeouts, lost or refused connections and the
// server errors mysqlerr lists. Permanent errors, other server
// errors (access denied, syntax) and cancellation are not transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, ErrPermanent) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if transient, known := mysqlerr.TransientCode(err); known {
		return transient
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	return mysqlerr.ConnectionLost(err)
}
