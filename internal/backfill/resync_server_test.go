package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// streamMarks stands for the source's stream: each watermark goes
// straight through the Merger, as if the binlog carried it at once, and
// the high watermarks' transactions are kept.
type streamMarks struct {
	m  *Merger
	db *sql.DB
	mu sync.Mutex
	// highs are the transactions of the high watermarks, with what the
	// Merger inserted.
	highs []*change.Txn
}

func (s *streamMarks) ready(context.Context) error { return nil }

func (s *streamMarks) expect(run string, chunk uint64, plan *Plan, prev *window) *window {
	return s.m.expect(run, chunk, plan, prev)
}

func (s *streamMarks) read(ctx context.Context, w *window, readRows func(context.Context, Querier) ([]change.Row, error)) ([]change.Row, error) {
	if _, err := s.m.Intercept(ctx, mark(w.id, int64(w.chunk), lowMark)); err != nil {
		return nil, err
	}
	return readRows(ctx, s.db)
}

func (s *streamMarks) high(ctx context.Context, w *window) error {
	txn := mark(w.id, int64(w.chunk), highMark)
	if _, err := s.m.Intercept(ctx, txn); err != nil {
		return err
	}
	s.mu.Lock()
	s.highs = append(s.highs, txn)
	s.mu.Unlock()
	return nil
}

func (s *streamMarks) close() error { return nil }

// throttledTable starts a source with app.t holding rows 1..n and returns
// a backfiller of it with chunks of 100 rows capped at 100 rows/s, its
// watermarks kept in memory, and the throttle's waits, recorded instead
// of slept.
func throttledTable(t *testing.T, n int) (*Backfiller, *streamMarks, *[]time.Duration) {
	srv := testenv.StartT(t, testenv.Options{})
	var fill []string
	for i := 1; i <= n; i++ {
		fill = append(fill, fmt.Sprintf("(%d, 'v%d')", i, i))
	}
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO app.t VALUES "+strings.Join(fill, ", "))
	b, err := New(Options{Source: "s", DSN: srv.DSN("root", "", ""), ChunkRows: 100, ChunkTime: -1, MaxRowsPerSecond: 100})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	marks := &streamMarks{m: b.merger, db: b.db}
	b.marks = marks
	waits := new([]time.Duration)
	b.throttle.sleep = func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}
	return b, marks, waits
}

// A resync of keys reads them in windows of the chunk size, hands on the
// rows and deletes the absent keys, and goes through the source's
// throttle: under a rows-per-second cap each window waits for the rows
// of the one before.
func TestResyncReadsKeysInThrottledWindows(t *testing.T) {
	b, marks, waits := throttledTable(t, 250)
	var keys [][]change.Value
	for i := 1; i <= 300; i++ {
		keys = append(keys, []change.Value{int64(i)})
	}
	res, err := b.Resync(t.Context(), ResyncJob{Schema: "app", Table: "t", KeyColumns: []string{"id"}, Keys: keys})
	require.NoError(t, err)
	require.Equal(t, 3, res.Chunks)
	require.Equal(t, 250, res.Copied)
	require.Equal(t, 50, res.Absent)
	require.Equal(t, 50, res.Deleted)
	require.Len(t, *waits, 2, "the second and third windows wait for the rows of the one before")
	for _, w := range *waits {
		// 100 rows at 100 rows/s, less the time the window took.
		require.Greater(t, w, 500*time.Millisecond)
	}
	reads, deletes := 0, 0
	for _, txn := range marks.highs {
		for _, c := range txn.Changes {
			switch c.Op {
			case change.Read:
				reads++
			case change.Delete:
				deletes++
				require.Greater(t, c.Before[0], int64(250))
				require.Nil(t, c.Before[1])
				require.Equal(t, []int{1}, c.BeforeOmitted)
			}
		}
	}
	require.Equal(t, 250, reads)
	require.Equal(t, 50, deletes)

	dry, err := b.Resync(t.Context(), ResyncJob{Schema: "app", Table: "t", KeyColumns: []string{"id"}, Keys: keys, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 250, dry.Read)
	require.Equal(t, 50, dry.Absent)
	require.Zero(t, dry.Chunks)
	require.Len(t, marks.highs, 3, "a dry run takes no watermark")
}

// A replay's reading of rows again goes through the source's throttle as
// a resync's does: under a rows-per-second cap each chunk waits for the
// rows of the one before.
func TestRecheckIsThrottled(t *testing.T) {
	b, _, waits := throttledTable(t, 300)
	plan, err := NewPlan(t.Context(), b.db, "app", "t", "")
	require.NoError(t, err)
	var last []LastImage
	for i := 1; i <= 300; i++ {
		last = append(last, LastImage{Table: plan.Table, Row: change.Row{int64(i), fmt.Sprintf("v%d", i)}})
	}
	res, err := b.Recheck(t.Context(), Recheck{Schema: "app", Table: "t", Last: last, ChunkKeys: 100})
	require.NoError(t, err)
	require.Equal(t, 300, res.Read)
	require.Len(t, *waits, 2, "the second and third chunks wait for the rows of the one before")
	for _, w := range *waits {
		require.Greater(t, w, 500*time.Millisecond, "100 rows at 100 rows/s, less the time the chunk took")
	}
}
