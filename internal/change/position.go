package change

import (
	"fmt"
	"strconv"
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

// String renders p for logs and status output: its GTID set and its
// file/pos, each when it has one, or "none".
func (p Position) String() string {
	switch {
	case p.IsZero():
		return "none"
	case p.File == "" && p.GTIDSet != "":
		return "gtid=" + p.GTIDSet
	case p.GTIDSet != "":
		return fmt.Sprintf("gtid=%s file=%s pos=%d", p.GTIDSet, p.File, p.Pos)
	}
	return fmt.Sprintf("file=%s pos=%d", p.File, p.Pos)
}

// Ordinal orders binlog positions of one server: the numeric suffix of
// p.File (mysql-bin.000042 gives 42) in the high 32 bits, p.Pos in the low
// ones. It fails when p.File has no numeric suffix or the suffix does not fit
// in 32 bits. Ordinals of different servers do not compare.
func (p Position) Ordinal() (uint64, error) {
	i := len(p.File)
	for i > 0 && p.File[i-1] >= '0' && p.File[i-1] <= '9' {
		i--
	}
	if i == len(p.File) {
		return 0, fmt.Errorf("computing ordinal of binlog file %q: no numeric suffix", p.File)
	}
	n, err := strconv.ParseUint(p.File[i:], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("computing ordinal of binlog file %q: %w", p.File, err)
	}
	return n<<32 | uint64(p.Pos), nil
}
