package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Op is a kind of row write counted in Stats.
type Op string

// The kinds of row writes.
const (
	OpInsert Op = "insert"
	OpUpdate Op = "update"
	// OpKeyUpdate is an update that changes the row's primary key.
	OpKeyUpdate Op = "key-update"
	OpDelete    Op = "delete"
)

var opOrder = []Op{OpInsert, OpUpdate, OpKeyUpdate, OpDelete}

// Counter names a table and a kind of row write.
type Counter struct {
	// Table is "schema.table".
	Table string
	// Op is the kind of write.
	Op Op
}

// Stats summarises a load run. Rows count only committed transactions.
type Stats struct {
	// Committed is the number of committed transactions.
	Committed int64
	// Retried is the number of attempts rolled back and tried again
	// (deadlocks, lock wait timeouts, duplicate keys).
	Retried int64
	// Failed is the number of transactions given up.
	Failed int64
	// Errors counts failed attempts by kind ("deadlock", "lock wait
	// timeout", "duplicate key", "connection").
	Errors map[string]int64
	// Rows counts rows written per table and kind of write.
	Rows map[Counter]int64
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// Tables returns the tables that have rows counted, sorted.
func (s Stats) Tables() []string {
	seen := map[string]bool{}
	for c := range s.Rows {
		seen[c.Table] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// TableRows returns the number of rows written to table, all kinds of write
// together.
func (s Stats) TableRows(table string) int64 {
	var n int64
	for c, v := range s.Rows {
		if c.Table == table {
			n += v
		}
	}
	return n
}

// String returns a multi-line summary for people.
func (s Stats) String() string {
	var b strings.Builder
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Committed) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(&b, "%d transactions committed in %s (%.1f/s), %d retried, %d failed\n",
		s.Committed, s.Elapsed.Round(time.Millisecond), rate, s.Retried, s.Failed)
	fmt.Fprintf(&b, "%-24s", "rows")
	for _, op := range opOrder {
		fmt.Fprintf(&b, " %10s", op)
	}
	b.WriteByte('\n')
	for _, t := range s.Tables() {
		fmt.Fprintf(&b, "%-24s", t)
		for _, op := range opOrder {
			fmt.Fprintf(&b, " %10d", s.Rows[Counter{Table: t, Op: op}])
		}
		b.WriteByte('\n')
	}
	if len(s.Errors) > 0 {
		b.WriteString("errors:")
		for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
			fmt.Fprintf(&b, " %s=%d", k, s.Errors[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// collector accumulates Stats from concurrent workers.
type collector struct {
	mu struct {
		sync.Mutex
		stats Stats
	}
}

func newCollector() *collector {
	c := &collector{}
	c.mu.stats = Stats{Errors: map[string]int64{}, Rows: map[Counter]int64{}}
	return c
}

// commit adds the rows of one committed transaction.
func (c *collector) commit(rows map[Counter]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.stats.Committed++
	for k, v := range rows {
		c.mu.stats.Rows[k] += v
	}
}

// attemptFailed counts a failed attempt of kind; retry tells whether the
// transaction is tried again or given up.
func (c *collector) attemptFailed(kind string, retry bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.stats.Errors[kind]++
	if retry {
		c.mu.stats.Retried++
	} else {
		c.mu.stats.Failed++
	}
}

// snapshot returns a copy of the stats so far.
func (c *collector) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.mu.stats
	s.Errors = maps.Clone(s.Errors)
	s.Rows = maps.Clone(s.Rows)
	return s
}
