package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
)

// PrepareSourceBackfill returns fresh backfill cursors for every table of
// the source that backfill: initial would copy (those a mapping's driving
// or contributing entry reads; every table without mappings), after
// checking that each can be copied and making the watermark table ready.
// It saves nothing: saved in the store, the cursors make the next start
// copy the tables.
func PrepareSourceBackfill(ctx context.Context, cfg *config.Config, source string, logger *slog.Logger) (out []checkpoint.Cursor, err error) {
	set, err := LoadMappings(cfg)
	if err != nil {
		return nil, err
	}
	bfs, err := openBackfills(cfg, set, nil, nil, logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, bfs.Close()) }()
	b := bfs.by[source]
	if b == nil {
		return nil, fmt.Errorf("no source named %q in the configuration", source)
	}
	tables, err := b.Tables(ctx, bfs.copies(source, nil))
	if err != nil {
		return nil, err
	}
	cursors, err := b.Prepare(ctx, tables, "")
	if err != nil {
		return nil, fmt.Errorf("preparing the backfill of source %s:\n%w", source, err)
	}
	if err := b.EnsureWatermarkTable(ctx); err != nil {
		return nil, err
	}
	return cursors, nil
}
