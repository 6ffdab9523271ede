package source

import (
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// ParseGTIDSet parses a GTID set in flavor's syntax: change.MySQL takes
// "uuid:1-5:7,uuid2[:tag]:3", change.MariaDB takes "0-1-5,1-2-3" (one
// domain-server-sequence per domain). The empty string is the empty set.
func ParseGTIDSet(flavor, s string) (set gomysql.GTIDSet, err error) {
	switch flavor {
	case change.MySQL, change.MariaDB:
	default:
		return nil, fmt.Errorf("parsing GTID set: unknown flavor %q", flavor)
	}
	// go-mysql indexes into the parts it splits; a malformed set must be an
	// error, never a crash of the reader.
	defer func() {
		if r := recover(); r != nil {
			set, err = nil, fmt.Errorf("parsing %s GTID set %q: malformed (%v)", flavor, s, r)
		}
	}()
	set, err = gomysql.ParseGTIDSet(flavor, s)
	if err != nil {
		return nil, fmt.Errorf("parsing %s GTID set %q: %w", flavor, s, err)
	}
	if m, ok := set.(*gomysql.MariadbGTIDSet); ok && s != "" {
		// go-mysql reads an empty element as the GTID 0-0-0, which it
		// renders as nothing; neither is a real GTID.
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				return nil, fmt.Errorf("parsing %s GTID set %q: empty element", flavor, s)
			}
		}
		for _, g := range m.Sets {
			if g.ServerID == 0 && g.SequenceNumber == 0 {
				return nil, fmt.Errorf("parsing %s GTID set %q: %d-0-0 is no GTID", flavor, s, g.DomainID)
			}
		}
	}
	return set, nil
}

// Reached reports whether position cp (a checkpoint, or what was applied)
// includes everything up to cur, a server's current position: by GTID
// sets when both have one, else by binlog file and offset.
func Reached(cp, cur change.Position) (bool, error) {
	if cp.IsZero() {
		return false, nil
	}
	if cp.GTIDSet != "" && cur.GTIDSet != "" {
		have, err := ParseGTIDSet(cur.Flavor, cp.GTIDSet)
		if err != nil {
			return false, err
		}
		want, err := ParseGTIDSet(cur.Flavor, cur.GTIDSet)
		if err != nil {
			return false, err
		}
		return have.Contain(want), nil
	}
	a, err := cp.Ordinal()
	if err != nil {
		return false, err
	}
	b, err := cur.Ordinal()
	if err != nil {
		return false, err
	}
	return a >= b, nil
}
