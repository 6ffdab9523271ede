package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// watermarker is how a chunk is bounded in the source's stream: watermark rows
// written to the writer (tableMarks), or GTID sets read from the servers
// (gtidMarks). A chunk is copied as expect, read, Merger.deliver, high,
// then the wait for the window's outcome.
type watermarker interface {
	// ready checks that the marks can be taken, making what they need
	// (the watermark table).
	ready(ctx context.Context) error
	// expect makes the chunk a window of the Merger in flight; prev is
	// the table's chunk in flight before it, or nil.
	expect(run string, chunk uint64, plan *Plan, prev *window) *window
	// read takes the low mark and reads the chunk with readRows, on the
	// server and connection the chunk is to be read from.
	read(ctx context.Context, w *window, readRows func(context.Context, Querier) ([]change.Row, error)) ([]change.Row, error)
	// high takes the high mark, once the rows are delivered.
	high(ctx context.Context, w *window) error
	// close releases the connections the marks opened.
	close() error
}

// tableMarks write a low and a high watermark row per chunk into the
// watermark table on the writer, where the chunks are read too.
type tableMarks struct {
	db     *sql.DB
	merger *Merger
}

func (t *tableMarks) ready(ctx context.Context) error { return createWatermarkTable(ctx, t.db) }

func (t *tableMarks) expect(run string, chunk uint64, plan *Plan, prev *window) *window {
	return t.merger.expect(run, chunk, plan, prev)
}

func (t *tableMarks) read(ctx context.Context, w *window, readRows func(context.Context, Querier) ([]change.Row, error)) ([]change.Row, error) {
	if err := writeWatermark(ctx, t.db, w.id, w.chunk, lowMark); err != nil {
		return nil, err
	}
	return readRows(ctx, t.db)
}

func (t *tableMarks) high(ctx context.Context, w *window) error {
	return writeWatermark(ctx, t.db, w.id, w.chunk, highMark)
}

func (t *tableMarks) close() error { return nil }

// The watermark modes of Options.Watermarks.
const (
	WatermarksTable = "table"
	WatermarksGTID  = "gtid"
)

// newMarks returns the marks opts ask for; db reaches the writer.
func newMarks(opts Options, db *sql.DB, merger *Merger, log *slog.Logger) (watermarker, error) {
	switch opts.Watermarks {
	case "", WatermarksTable:
		if opts.ReadDSN != "" {
			return nil, fmt.Errorf("source %s: chunks read from another server need GTID watermarks", opts.Source)
		}
		return &tableMarks{db: db, merger: merger}, nil
	case WatermarksGTID:
	default:
		return nil, fmt.Errorf("source %s: unknown watermark mode %q", opts.Source, opts.Watermarks)
	}
	g := &gtidMarks{source: opts.Source, flavor: opts.Flavor, writer: db, merger: merger,
		position: opts.MarkPosition, log: log}
	if opts.ReadDSN != "" {
		cfg, err := mysql.ParseDSN(opts.ReadDSN)
		if err != nil {
			return nil, fmt.Errorf("source %s: reading the backfill read host's DSN: %w", opts.Source, err)
		}
		g.readHost = cfg.Addr
		if g.reader, err = sql.Open("mysql", opts.ReadDSN); err != nil {
			return nil, fmt.Errorf("opening the backfill read connection of source %s: %w", opts.Source, err)
		}
		g.reader.SetMaxOpenConns(2)
		g.reader.SetMaxIdleConns(2)
	}
	return g, nil
}
