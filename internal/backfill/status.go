package backfill

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"time"
)

// TableStatus is the progress of one table's backfill, for /status.
type TableStatus struct {
	Table string   `json:"table"`
	Key   []string `json:"key"`
	Where string   `json:"where,omitempty"`
	// Chunks and Rows count what was copied: chunks read and rows handed
	// on (rows the stream carried itself are not counted).
	Chunks uint64 `json:"chunks"`
	Rows   uint64 `json:"rows"`
	Done   bool   `json:"done"`
	// CheckpointChunks and CheckpointRows are the counts of the cursor
	// last saved with a checkpoint: where a restart resumes the copy.
	CheckpointChunks uint64 `json:"checkpoint_chunks"`
	CheckpointRows   uint64 `json:"checkpoint_rows"`
	// Estimate is the number of rows expected when the backfill was
	// requested, 0 when unknown (see checkpoint.Cursor.Estimate).
	Estimate uint64 `json:"estimate,omitempty"`
	// Error is the last error of a chunk being retried, or, with Done, why
	// the copy ended without finishing (checkpoint.Cursor.Failed).
	Error     string    `json:"error,omitempty"`
	Requested time.Time `json:"requested"`
}

// Status returns the progress of every table requested of the source,
// sorted by table. Counts are those handed to the sinks, which may be
// ahead of the last checkpoint.
func (b *Backfiller) Status() []TableStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]TableStatus, 0, len(b.mu.jobs))
	for name, j := range b.mu.jobs {
		c := j.cursor
		out = append(out, TableStatus{Table: name, Key: c.Key, Where: c.Where, Chunks: c.Chunks, Rows: c.Rows,
			Done: c.Done, Estimate: c.Estimate, Error: cmp.Or(j.err, c.Failed), Requested: c.Requested})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Table < out[k].Table })
	return out
}

// systemSchemas hold no tables to copy.
const systemSchemas = "'mysql', 'information_schema', 'performance_schema', 'sys', '" + WatermarkSchema + "'"

// Tables lists the source's base tables that selected accepts (all when
// it is nil), sorted, leaving out the system schemas.
func (b *Backfiller) Tables(ctx context.Context, selected func(schema, table string) bool) ([]TableRef, error) {
	rows, err := b.db.QueryContext(ctx, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "+
		"WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ("+systemSchemas+") ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("listing the tables of source %s: %w", b.opts.Source, err)
	}
	defer rows.Close()
	var out []TableRef
	for rows.Next() {
		var t TableRef
		if err := rows.Scan(&t.Schema, &t.Table); err != nil {
			return nil, fmt.Errorf("listing the tables of source %s: %w", b.opts.Source, err)
		}
		if selected == nil || selected(t.Schema, t.Table) {
			out = append(out, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the tables of source %s: %w", b.opts.Source, err)
	}
	return out, nil
}
