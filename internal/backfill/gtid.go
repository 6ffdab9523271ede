package backfill

import (
	"errors"
)

// ErrNoGTIDs is wrapped by the refusals of GTID watermarks on a source,
// a read host or a stream that has no GTIDs to take them from.
var ErrNoGTIDs = errors.New("no GTIDs")
