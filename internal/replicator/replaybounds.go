package replicator

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source"
)

// The kinds of a replay bound.
const (
	boundGTID = "gtid"
	boundFile = "file:pos"
	boundTime = "time"
)

// bound is one end of a replay window: a point between transactions. As
// a GTID set it is the point after that set's transactions (like start:
// gtid:SET); as a binlog file and offset, the point before the event at
// that offset (like a checkpoint); as a time, the point after every
// transaction committed at or before it. The window holds the
// transactions after --from and up to --to: from exclusive, to inclusive
// for GTID sets and times; for offsets, the transactions that begin at or
// after --from and before --to.
type bound struct {
	kind string
	pos  change.Position // gtid and file:pos
	set  gomysql.GTIDSet // gtid
	at   time.Time       // time
}

// String renders b as it was given, resolved.
func (b bound) String() string {
	switch b.kind {
	case boundGTID:
		return "gtid:" + b.pos.GTIDSet
	case boundFile:
		return fmt.Sprintf("%s:%d", b.pos.File, b.pos.Pos)
	}
	return b.at.Format(time.RFC3339Nano)
}

// filePos matches a binlog file name and offset: mysql-bin.000042:1234.
var filePos = regexp.MustCompile(`^([^\s:,]+\.[0-9]+):([0-9]+)$`)

// parseBound reads a --from or --to value in flavor's syntax: an RFC 3339
// time, FILE:POS, or a GTID set (optionally prefixed gtid:).
func parseBound(flag, s, flavor string) (bound, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return bound{}, fmt.Errorf("%s is empty: give a GTID set, FILE:POS or an RFC 3339 time", flag)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return bound{kind: boundTime, at: t.UTC()}, nil
	}
	if m := filePos.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseUint(m[2], 10, 32)
		if err != nil {
			return bound{}, fmt.Errorf("%s %q: the offset does not fit 32 bits", flag, s)
		}
		p := change.Position{Flavor: flavor, File: m[1], Pos: uint32(n)}
		if _, err := p.Ordinal(); err != nil {
			return bound{}, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		return bound{kind: boundFile, pos: p}, nil
	}
	set, err := source.ParseGTIDSet(flavor, strings.TrimPrefix(s, source.StartGTIDPrefix))
	if err != nil {
		return bound{}, fmt.Errorf("%s %q is neither an RFC 3339 time (2026-01-02T15:04:05Z), FILE:POS (mysql-bin.000042:1234) "+
			"nor a GTID set: %w", flag, s, err)
	}
	return bound{kind: boundGTID, pos: change.Position{Flavor: flavor, GTIDSet: set.String()}, set: set}, nil
}

// errEmptyWindow refuses a window that holds no transaction by its bounds.
var errEmptyWindow = errors.New("--from is at or after --to: the window holds no transaction")

// checkOrder refuses bounds of different kinds, and a --from at or after
// --to. GTID sets are in order when --to holds every transaction of
// --from and more.
func checkOrder(from, to bound) error {
	if from.kind != to.kind {
		return fmt.Errorf("--from is a %s and --to a %s: give both ends the same way", from.kind, to.kind)
	}
	switch from.kind {
	case boundGTID:
		if !to.set.Contain(from.set) {
			return fmt.Errorf("--to %s does not hold every transaction of --from %s: --from is after --to, or they are on "+
				"different histories", to.pos.GTIDSet, from.pos.GTIDSet)
		}
		if from.set.Contain(to.set) {
			return errEmptyWindow
		}
	case boundFile:
		a, _ := from.pos.Ordinal()
		b, _ := to.pos.Ordinal()
		if a >= b {
			return errEmptyWindow
		}
	case boundTime:
		if !from.at.Before(to.at) {
			return errEmptyWindow
		}
	}
	return nil
}

// checkReached refuses a --to beyond the source's current position cur:
// those transactions do not exist yet.
func checkReached(to bound, cur change.Position, now time.Time) error {
	switch to.kind {
	case boundGTID:
		have, err := source.ParseGTIDSet(cur.Flavor, cur.GTIDSet)
		if err != nil {
			return fmt.Errorf("parsing the source's GTID set: %w", err)
		}
		if !have.Contain(to.set) {
			return fmt.Errorf("--to %s is beyond the source's current position %s", to.pos.GTIDSet, cur.GTIDSet)
		}
	case boundFile:
		b, _ := to.pos.Ordinal()
		c, err := cur.Ordinal()
		if err != nil {
			return fmt.Errorf("reading the source's current offset: %w", err)
		}
		if b > c {
			return fmt.Errorf("--to %s is beyond the source's current position %s:%d", to, cur.File, cur.Pos)
		}
	case boundTime:
		if to.at.After(now) {
			return fmt.Errorf("--to %s is in the future", to)
		}
	}
	return nil
}

// checkRetained refuses a GTID --from older than the oldest binary log the
// server keeps (earliest: where start: earliest would begin): the
// transactions right after it are purged.
func checkRetained(from bound, earliest change.Position) error {
	if from.kind != boundGTID || earliest.GTIDSet == "" {
		return nil
	}
	oldest, err := source.ParseGTIDSet(earliest.Flavor, earliest.GTIDSet)
	if err != nil {
		return fmt.Errorf("parsing the oldest retained GTID set: %w", err)
	}
	if !from.set.Contain(oldest) {
		return fmt.Errorf("the window is no longer retained: --from %s is older than the oldest binary log %s the "+
			"source keeps (it begins after %s); the transactions in between are purged", from.pos.GTIDSet, earliest.File,
			earliest.GTIDSet)
	}
	return nil
}
