package change

import (
	"fmt"
	"strings"
)

// Flavors of source servers.
const (
	MySQL   = "mysql"
	MariaDB = "mariadb"
)

// Position is a point in a source's binary log.
type Position struct {
	// Flavor is MySQL or MariaDB; it selects the GTID syntax.
	Flavor string `json:"flavor"`
	// GTIDSet is the set of transactions executed up to this point, in the
	// flavor's syntax; empty when the source does not use GTIDs.
	GTIDSet string `json:"gtid_set,omitempty"`
	// File and Pos name the binlog file and the offset of the next event.
	File string `json:"file,omitempty"`
	Pos  uint32 `json:"pos,omitempty"`
	// ServerID and ServerUUID identify the server the file/pos belongs to
	// (ServerUUID is empty on MariaDB). A file/pos is meaningless on another
	// server, so resuming by file/pos on a different server is refused.
	ServerID   uint32 `json:"server_id,omitempty"`
	ServerUUID string `json:"server_uuid,omitempty"`
}

// IsZero reports whether p names no position at all.
func (p Position) IsZero() bool {
	return p.GTIDSet == "" && p.File == ""
}

// String renders p for logs and status output.
func (p Position) String() string {
	var b strings.Builder
	if p.GTIDSet != "" {
		fmt.Fprintf(&b, "gtid=%s ", p.GTIDSet)
	}
	fmt.Fprintf(&b, "file=%s pos=%d", p.File, p.Pos)
	return b.String()
}
