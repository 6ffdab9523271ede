package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/source"
)

// windowTable is what a replay window holds of one source table: how
// many changes, and the last image of every row they touched, by key.
type windowTable struct {
	schema, name string
	changes      int
	// at indexes last by encoded primary key; a table without one keeps
	// every image (the backfill dedupes by the key it chunks by).
	at   map[string]int
	last []backfill.LastImage
}

// windowRead is a replay window as read from the binlog.
type windowRead struct {
	tables map[string]*windowTable // by schema.table
	// txns counts the window's transactions that changed mapped tables.
	txns int
}

// add records the images of c: a key-changing update leaves its old key
// with the before image, as a delete would.
func (w *windowRead) add(c *change.RowChange) {
	name := c.Table.QualifiedName()
	t := w.tables[name]
	if t == nil {
		t = &windowTable{schema: c.Table.Schema, name: c.Table.Name, at: map[string]int{}}
		w.tables[name] = t
	}
	t.changes++
	if c.Op == change.Update && c.Before != nil {
		if old, now := t.keyOf(c, c.Before), t.keyOf(c, c.Identity()); old != now || old == "" {
			t.put(c.Table, c.Before, old)
		}
	}
	row := c.Identity()
	t.put(c.Table, row, t.keyOf(c, row))
}

// keyOf encodes row's primary key, "" when the table has none.
func (t *windowTable) keyOf(c *change.RowChange, row change.Row) string {
	if len(c.Table.PrimaryKey) == 0 {
		return ""
	}
	b, err := change.AppendKey(nil, c.Key(row))
	if err != nil {
		return ""
	}
	return string(b)
}

func (t *windowTable) put(table *change.Table, row change.Row, key string) {
	img := backfill.LastImage{Table: table, Row: row}
	if key != "" {
		if i, ok := t.at[key]; ok {
			t.last[i] = img
			return
		}
		t.at[key] = len(t.last)
	}
	t.last = append(t.last, img)
}

// keys returns how many rows the window touched (images, for a table
// without a primary key).
func (t *windowTable) keys() int { return len(t.last) }

// errNotRetained marks a window whose binary logs the source no longer
// keeps.
var errNotRetained = errors.New("the window is no longer retained")

// readOnlyHistory serves the schema history the live stream recorded and
// records nothing: the window is behind the live stream, which owns it.
type readOnlyHistory struct{ h source.SchemaHistory }

func (r readOnlyHistory) PutSchema(string, uint64, string, string, *change.Table) error { return nil }

func (r readOnlyHistory) Schema(src string, ord uint64, schema, table string) (*change.Table, error) {
	return r.h.Schema(src, ord, schema, table)
}

func (r readOnlyHistory) SchemaTablesIn(src, schema string) ([]string, error) {
	return r.h.SchemaTablesIn(src, schema)
}

// replayServerID is the replica server id the window's reader registers
// with: the source's own with the top bit flipped, so that it never
// takes the live reader's (a second connection with one server id makes
// the server drop the first).
func replayServerID(id uint32) uint32 { return id ^ 1<<31 }

// readWindow reads the transactions of the window from..to with a reader
// of its own (opts, with the tables include selects), up to limit, a
// position the source has reached: --to itself, or for times its
// position when the replay began. start is where the reader starts.
func readWindow(ctx context.Context, opts source.Options, start, limit change.Position, from, to bound,
	logger *slog.Logger) (*windowRead, error) {
	opts.ServerID = replayServerID(opts.ServerID)
	opts.Logger = logger.With("component", "replay")
	r := source.New(opts)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *change.Txn, 4)
	errc := make(chan error, 1)
	go func() {
		errc <- r.Run(rctx, start, ch)
		close(ch)
	}()
	defer func() {
		// Stop the reader and let it return: it may be blocked sending.
		cancel()
		for range ch {
			continue
		}
	}()
	w := &windowRead{tables: map[string]*windowTable{}}
	seen := false
	for {
		var txn *change.Txn
		var ok bool
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case txn, ok = <-ch:
		}
		if !ok {
			err := <-errc
			if errors.Is(err, source.ErrPositionPurged) {
				return nil, fmt.Errorf("%w: %w", errNotRetained, err)
			}
			if err == nil {
				err = errors.New("the reader stopped")
			}
			return nil, fmt.Errorf("reading the window: %w", err)
		}
		if !seen {
			// A window by time starts at the oldest binary log: when its
			// first transaction is already after --from, older ones may
			// have been purged.
			seen = true
			if from.kind == boundTime && txn.CommitTime.After(from.at.Truncate(time.Second)) {
				return nil, fmt.Errorf("%w, maybe: the oldest transaction the source keeps was committed at %s, after "+
					"--from %s (older binary logs may have been purged); give --from at or after it, or as a position",
					errNotRetained, txn.CommitTime.Format(time.RFC3339), from)
			}
		}
		if to.kind == boundTime && txn.CommitTime.After(to.at) {
			return w, nil
		}
		in, err := inWindow(txn, from, to)
		if err != nil {
			return nil, err
		}
		if in {
			for i := range txn.Changes {
				if txn.Changes[i].Table != nil {
					w.add(&txn.Changes[i])
				}
			}
			if txn.Last && (len(txn.Changes) > 0 || txn.Part > 0) {
				w.txns++
			}
		}
		if txn.Last {
			done, err := source.Reached(txn.End, limit)
			if err != nil {
				return nil, fmt.Errorf("comparing the stream's position with the end of the window: %w", err)
			}
			if done {
				return w, nil
			}
		}
	}
}

// inWindow reports whether txn lies in the window from..to; the reader
// started at from, so only --to and times need a look.
func inWindow(txn *change.Txn, from, to bound) (bool, error) {
	switch to.kind {
	case boundTime:
		// MariaDB records commit times to the second: a window by time
		// holds the whole second --from falls in.
		return !txn.CommitTime.Before(from.at.Truncate(time.Second)) && !txn.CommitTime.After(to.at), nil
	case boundFile:
		b, err := txn.Begin.Ordinal()
		if err != nil {
			return false, fmt.Errorf("placing a transaction of the window: %w", err)
		}
		t, _ := to.pos.Ordinal()
		return b < t, nil
	}
	if txn.GTID == "" {
		return false, nil // a position mark or a held empty transaction
	}
	g, err := source.ParseGTIDSet(to.pos.Flavor, txn.GTID)
	if err != nil {
		return false, fmt.Errorf("placing transaction %s of the window: %w", txn.GTID, err)
	}
	return to.set.Contain(g), nil
}

// sortedTables returns the window's tables by name.
func (w *windowRead) sortedTables() []*windowTable {
	out := make([]*windowTable, 0, len(w.tables))
	for _, t := range w.tables {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *windowTable) int {
		if a.schema+"."+a.name < b.schema+"."+b.name {
			return -1
		}
		return 1
	})
	return out
}
