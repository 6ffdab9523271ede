package mysql

import (
	"context"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Lanes.
//
// A worker that resolves lookups against a source that does not answer
// retries until it does, and every operation queued behind it waits, from
// whatever source: the checkpoints of sources that never needed the
// missing one would stall with it. So the workers are split into lanes,
// each with Options.Workers workers and their own queues: one lane for the
// target tables whose operations query no source, and one for each
// distinct set of sources that the lookups of a table query
// (Options.LookupSources, from the mappings). A stuck source stops the
// lanes of the tables that read it; the others, and the checkpoints of
// the sources whose operations only go there, keep going (FlushSource
// waits for the source's own operations only, see acks.go).
//
// The lane is chosen by target table, never by operation: every writer of
// a table (several mappings, several sources merged into one row, the
// operations with and without pending lookups) goes through the same
// lane, and within it operations are routed by table and key as before
// (see route.go), so the writes to one target row still keep one order.
// A barrier (barrier.go) reaches only its own table's rows, so it waits
// for its table's lane alone. With no table reading a source there is one
// lane, the layout and cost of a sink without lanes; with more, the lanes
// share the queue room of one (see newWorker), so lookups do not make the
// sink hold more operations in memory.
//
// What a lane does not separate: the tables of one lane wait for every
// source of its set (a table reading L and M waits while either is
// down), and a source whose own operations wait in a stuck lane holds up
// its own checkpoint, and its later operations to any table once the
// lane's queues are full, since Apply hands them over in source order.

// lane is a group of workers, s.workers[first:first+n].
type lane struct {
	// sources is the lane's set of looked-up sources, joined by ","; ""
	// for the first lane.
	sources  string
	first, n int
	// room bounds the bytes its workers' operations hold (see budget.go):
	// a lane that waits for a source fills its own room, not the others'.
	room *budget
}

// newLanes returns the lanes of lookupSources, the first one for the
// tables not listed, and each listed table's lane, by qualified name.
func newLanes(lookupSources map[string][]string, workers int) ([]*lane, map[string]*lane) {
	lanes := []*lane{{n: workers}}
	bySet := map[string]*lane{"": lanes[0]}
	tables := make([]string, 0, len(lookupSources))
	for t := range lookupSources {
		tables = append(tables, t)
	}
	slices.Sort(tables) // the same layout for the same mappings
	byTable := map[string]*lane{}
	for _, t := range tables {
		srcs := slices.Clone(lookupSources[t])
		slices.Sort(srcs)
		key := strings.Join(slices.Compact(srcs), ",")
		l, ok := bySet[key]
		if !ok {
			l = &lane{sources: key, first: len(lanes) * workers, n: workers}
			lanes = append(lanes, l)
			bySet[key] = l
		}
		byTable[t] = l
	}
	return lanes, byTable
}

// laneOf returns the lane of target table t.
func (s *Sink) laneOf(t *change.TargetTable) *lane {
	if len(s.lanes) == 1 {
		return s.lanes[0]
	}
	if l, ok := s.byTable[t.Schema+"."+t.Name]; ok {
		return l
	}
	return s.lanes[0]
}

// flushLane is Flush for the workers of l alone.
func (s *Sink) flushLane(ctx context.Context, l *lane) error {
	return s.flushWorkers(ctx, s.workers[l.first:l.first+l.n])
}

// tablesOf returns the tables of byTable in lane l, sorted.
func tablesOf(byTable map[string]*lane, l *lane) []string {
	var out []string
	for t, tl := range byTable {
		if tl == l {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}
