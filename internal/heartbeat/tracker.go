package heartbeat

import (
	"context"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// Reached reports whether a saved position covers a transaction's end (the
// source package's comparison, passed in to keep this package small).
type Reached func(saved, end change.Position) (bool, error)

// Tracker follows the beats of the sources that have a Writer: it takes
// every heartbeat row out of their streams and keeps, per source, when the
// newest beat that a checkpoint covers was written.
type Tracker struct {
	reached Reached

	mu struct {
		sync.Mutex
		// pending holds, per source in stream order, the beats handed to
		// the sinks but not yet covered by a checkpoint.
		pending map[string][]beat
		// durable is when the newest covered beat was written (the
		// start, before the first).
		durable map[string]time.Time
	}
}

type beat struct {
	end change.Position
	at  time.Time
}

// NewTracker follows the sources named: their beats count for the lag.
func NewTracker(sources []string, reached Reached) *Tracker {
	t := &Tracker{reached: reached}
	t.mu.pending = map[string][]beat{}
	t.mu.durable = map[string]time.Time{}
	now := time.Now()
	for _, s := range sources {
		t.mu.durable[s] = now
	}
	return t
}

// Intercept returns the stage that removes heartbeat rows from the parts
// of source (they are never data: no mapping and no sink sees them) and
// notes this source's own beats. It returns no cursors.
func (t *Tracker) Intercept(source string) func(context.Context, *change.Txn) ([]checkpoint.Cursor, error) {
	return func(_ context.Context, txn *change.Txn) ([]checkpoint.Cursor, error) {
		var newest time.Time
		kept := txn.Changes[:0]
		for i := range txn.Changes {
			c := &txn.Changes[i]
			if c.Table == nil || !IsHeartbeat(c.Table.Schema, c.Table.Name) {
				kept = append(kept, *c)
				continue
			}
			if at, ok := parse(c, source); ok && at.After(newest) {
				newest = at
			}
		}
		if len(kept) < len(txn.Changes) {
			clear(txn.Changes[len(kept):])
			txn.Changes = kept
		}
		if !newest.IsZero() {
			t.note(source, txn.End, newest)
		}
		return nil, nil
	}
}

// note records a beat of source; the part that carried it ends at end.
// A beat is a transaction of its own, so its part is always the last.
func (t *Tracker) note(source string, end change.Position, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.mu.durable[source]; !ok {
		return // a source without a writer of its own
	}
	t.mu.pending[source] = append(t.mu.pending[source], beat{end, at})
}

// Saved tells the tracker which positions a checkpoint made durable.
func (t *Tracker) Saved(positions map[string]change.Position) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for source, pos := range positions {
		beats := t.mu.pending[source]
		n := 0
		for n < len(beats) {
			ok, err := t.reached(pos, beats[n].end)
			if err != nil || !ok {
				break
			}
			n++
		}
		if n == 0 {
			continue
		}
		// The newest covered beat is the one to count from, even one
		// written before this process started (a restart replaying).
		t.mu.durable[source] = beats[n-1].at
		t.mu.pending[source] = append(beats[:0], beats[n:]...)
	}
}

// Lags returns, per source with a writer, the seconds since the newest
// durable beat was written.
func (t *Tracker) Lags() map[string]float64 {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]float64, len(t.mu.durable))
	for s, at := range t.mu.durable {
		out[s] = max(0, now.Sub(at).Seconds())
	}
	return out
}

// parse reads the write time of a beat that source's own writer made: the
// after image of its row (a delete writes none).
func parse(c *change.RowChange, source string) (time.Time, bool) {
	t := c.Table
	id, at := t.ColumnIndex("id"), t.ColumnIndex("at_us")
	if c.After == nil || id < 0 || at < 0 || len(c.After) != len(t.Columns) {
		return time.Time{}, false
	}
	if s, ok := c.After[id].(string); !ok || s != source {
		return time.Time{}, false
	}
	switch us := c.After[at].(type) {
	case int64:
		return time.UnixMicro(us), true
	case uint64:
		return time.UnixMicro(int64(us)), true
	}
	return time.Time{}, false
}
