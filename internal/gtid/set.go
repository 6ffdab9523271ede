// Package gtid owns the sets of source transactions named by their GTIDs:
// the positions a stream has passed and the transactions a server had
// committed when a read of it began, compared the same way everywhere.
package gtid

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Set is a set of transactions by their GTIDs, as a watermark or a
// stream position holds them.
//
// On MariaDB it keeps the highest sequence number per replication domain,
// as MariaDB's own positions do (@@gtid_binlog_pos holds one GTID per
// domain, whatever server wrote it): a transaction d-s-n is in the set
// when the set's domain d has reached n. That needs sequence numbers
// that only grow within a domain, which gtid_strict_mode guarantees.
// Domains are independent: a position with several domains is passed
// once each of its domains is.
//
// On MySQL it is the set of executed GTIDs, as in @@gtid_executed:
// intervals of transaction numbers per server UUID (and tag).
type Set struct {
	flavor  string
	domains map[uint32]domainTop
	mysql   *gomysql.MysqlGTIDSet
}

// domainTop is the last GTID of a MariaDB domain: its server and
// sequence number.
type domainTop struct {
	server uint32
	seq    uint64
}

// Parse reads a set in flavor's syntax; "" is the empty set.
func Parse(flavor, s string) (set Set, err error) {
	set.flavor = flavor
	switch flavor {
	case change.MariaDB:
		set.domains = map[uint32]domainTop{}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			if err := set.Add(part); err != nil {
				return set, fmt.Errorf("parsing the MariaDB GTID set %q: %w", s, err)
			}
		}
		return set, nil
	case change.MySQL:
		// go-mysql indexes into the parts it splits; a malformed set must
		// be an error, never a crash.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("parsing the MySQL GTID set %q: malformed (%v)", s, r)
			}
		}()
		g, err := gomysql.ParseMysqlGTIDSet(strings.TrimSpace(s))
		if err != nil {
			return set, fmt.Errorf("parsing the MySQL GTID set %q: %w", s, err)
		}
		set.mysql = g.(*gomysql.MysqlGTIDSet)
		return set, nil
	}
	return set, fmt.Errorf("parsing a GTID set: unknown flavor %q", flavor)
}

// parseMariaDB reads "domain-server-sequence".
func parseMariaDB(s string) (domain uint32, top domainTop, err error) {
	parts := strings.Split(strings.TrimSpace(s), "-")
	if len(parts) != 3 {
		return 0, top, fmt.Errorf("%q is not domain-server-sequence", s)
	}
	d, err1 := strconv.ParseUint(parts[0], 10, 32)
	srv, err2 := strconv.ParseUint(parts[1], 10, 32)
	n, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, top, fmt.Errorf("%q is not domain-server-sequence: %w", s, err)
	}
	return uint32(d), domainTop{server: uint32(srv), seq: n}, nil
}

// Add puts one transaction's GTID into the set.
func (g *Set) Add(gtid string) error {
	if gtid == "" {
		return nil
	}
	if g.flavor == change.MariaDB {
		d, top, err := parseMariaDB(gtid)
		if err != nil {
			return err
		}
		if cur, ok := g.domains[d]; !ok || cur.seq < top.seq {
			g.domains[d] = top
		}
		return nil
	}
	return g.mysql.Update(gtid)
}

// Has reports whether the transaction gtid is in the set; a
// transaction without a GTID, or with one the set cannot read, is not.
func (g Set) Has(gtid string) bool {
	if gtid == "" {
		return false
	}
	if g.flavor == change.MariaDB {
		d, one, err := parseMariaDB(gtid)
		if err != nil {
			return false
		}
		top, ok := g.domains[d]
		return ok && one.seq <= top.seq
	}
	one, err := Parse(change.MySQL, gtid)
	return err == nil && g.mysql.Contain(one.mysql)
}

// Contains reports whether every transaction of o is in g.
func (g Set) Contains(o Set) bool {
	if g.flavor != o.flavor {
		return false
	}
	if g.flavor == change.MariaDB {
		for d, n := range o.domains {
			if top, ok := g.domains[d]; !ok || top.seq < n.seq {
				return false
			}
		}
		return true
	}
	return g.mysql.Contain(o.mysql)
}

// Empty reports whether the set holds no transaction.
func (g Set) Empty() bool {
	if g.flavor == change.MariaDB {
		return len(g.domains) == 0
	}
	return g.mysql == nil || g.mysql.IsEmpty()
}

// String renders the set in its flavor's syntax.
func (g Set) String() string {
	if g.flavor == change.MariaDB {
		parts := make([]string, 0, len(g.domains))
		for _, d := range slices.Sorted(maps.Keys(g.domains)) {
			parts = append(parts, fmt.Sprintf("%d-%d-%d", d, g.domains[d].server, g.domains[d].seq))
		}
		return strings.Join(parts, ",")
	}
	if g.mysql == nil {
		return ""
	}
	return g.mysql.String()
}

// Flavor returns the set's flavor, change.MySQL or change.MariaDB.
func (g Set) Flavor() string { return g.flavor }

// ExecutedQuery returns the query that reads a server's set of the
// transactions it has written to its binlog, in flavor's syntax, and the
// variable's name: @@gtid_binlog_pos on MariaDB (one GTID per domain, see
// Set), @@gtid_executed on MySQL. A transaction in it has committed, or is
// committing and still holds its row locks.
func ExecutedQuery(flavor string) (query, name string) {
	if flavor == change.MariaDB {
		return "SELECT @@GLOBAL.gtid_binlog_pos", "gtid_binlog_pos"
	}
	return "SELECT @@GLOBAL.gtid_executed", "gtid_executed"
}

// Seen holds, per source, the transactions that a set of reads of it
// saw: those the source had written to its binlog before the first read
// began. A locking read sees every one of them, since one still
// committing holds its row locks until it is visible. Set it up with Put
// before sharing it; it is read-only after.
type Seen struct {
	sets map[string]Set
}

// Put records that the reads of source saw the transactions of set.
func (s *Seen) Put(source string, set Set) {
	if s.sets == nil {
		s.sets = map[string]Set{}
	}
	s.sets[source] = set
}

// Saw reports whether the reads of source saw transaction gtid; false for
// a source not read, or a transaction without a GTID.
func (s *Seen) Saw(source, gtid string) bool {
	if s == nil {
		return false
	}
	set, ok := s.sets[source]
	return ok && set.Has(gtid)
}
