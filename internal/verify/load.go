package verify

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
)

// SourceLoad is the load verify put on one source: the row and checksum
// queries it ran (the schema reads at the start and the lookups' queries
// are not counted), the rows they read, and how long its reads waited for
// the throttle.
type SourceLoad struct {
	Source           string  `json:"source"`
	Queries          int64   `json:"queries"`
	Rows             int64   `json:"rows_read"`
	ThrottledSeconds float64 `json:"throttled_seconds"`
}

// load counts one source's queries, rows and throttled time, and paces
// its reads.
type load struct {
	queries, rows atomic.Int64
	// throttled is in nanoseconds.
	throttled atomic.Int64
	throttle  *backfill.Throttle
}

// newLoads returns the load of every source of r, with its throttle.
func (r *run) newLoads() {
	r.loads = make(map[string]*load, len(r.sources))
	for name, db := range r.sources {
		l := &load{}
		if th, ok := r.opts.Throttles[name]; ok && (th.MaxRowsPerSecond > 0 || th.MaxThreadsRunning > 0) {
			l.throttle = backfill.NewThrottle(db, th.MaxRowsPerSecond, th.MaxThreadsRunning, "verify",
				r.opts.Log.With("source", name), func(s float64) { l.throttled.Add(int64(s * float64(time.Second))) })
		}
		r.loads[name] = l
	}
}

// read runs one read of source: it waits for the throttle, then runs
// do, which returns the rows it read, and counts them.
func (r *run) read(ctx context.Context, source string, do func() (int, error)) error {
	l := r.loads[source]
	if l == nil {
		_, err := do()
		return err
	}
	if l.throttle != nil {
		if err := l.throttle.Before(ctx); err != nil {
			return err
		}
	}
	start := time.Now()
	n, err := do()
	l.queries.Add(1)
	l.rows.Add(int64(n))
	if l.throttle != nil {
		l.throttle.After(start, n)
	}
	return err
}

// sourceLoads returns the load of every source, by name.
func (r *run) sourceLoads() []SourceLoad {
	out := make([]SourceLoad, 0, len(r.loads))
	for name, l := range r.loads {
		out = append(out, SourceLoad{Source: name, Queries: l.queries.Load(), Rows: l.rows.Load(),
			ThrottledSeconds: time.Duration(l.throttled.Load()).Seconds()})
	}
	slices.SortFunc(out, func(a, b SourceLoad) int {
		if a.Source < b.Source {
			return -1
		}
		if a.Source > b.Source {
			return 1
		}
		return 0
	})
	return out
}

// writeLoad writes a line per source saying the load put on it.
func writeLoad(w io.Writer, loads []SourceLoad) error {
	for _, l := range loads {
		if _, err := fmt.Fprintf(w, "source %s: %d queries, %d rows read, %.1fs throttled\n",
			l.Source, l.Queries, l.Rows, l.ThrottledSeconds); err != nil {
			return err
		}
	}
	return nil
}
