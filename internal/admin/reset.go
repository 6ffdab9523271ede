package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// ResetSpec is what ResetCheckpoint does.
type ResetSpec struct {
	Source string
	// Backfill saves fresh backfill cursors for the source's tables, so
	// that the next start copies them.
	Backfill bool
}

// ResetCheckpoint moves a source to its server's current position, the
// way to go on after its checkpoint was purged from the server's binary
// logs. With Backfill it also saves fresh backfill cursors for every table
// the source feeds (as backfill: initial chooses them), so the next run
// copies the rows those tables hold while it streams, restoring what the
// changes in between would have brought. Every table is checked first,
// and nothing is saved unless all can be copied. The cursors are saved
// before the position: a crash in between leaves the old checkpoint, and
// the reset can be made again.
func ResetCheckpoint(ctx context.Context, cfg *config.Config, spec ResetSpec, logger *slog.Logger, w io.Writer) error {
	readers := replicator.NewReaders(cfg, nil, nil, logger)
	r, ok := readers[spec.Source]
	if !ok {
		return fmt.Errorf("no source named %q in the configuration; configured: %s", spec.Source,
			strings.Join(cfg.SourceNames(), ", "))
	}
	// The store first: it refuses while the service runs, before the
	// sources are asked anything.
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	old, err := store.Position(spec.Source)
	if err != nil && !errors.Is(err, checkpoint.ErrNotFound) {
		return fmt.Errorf("reading the checkpoint of %s: %w", spec.Source, err)
	}
	var cursors []checkpoint.Cursor
	if spec.Backfill {
		if cursors, err = replicator.PrepareSourceBackfill(ctx, cfg, spec.Source, logger); err != nil {
			return fmt.Errorf("refusing the reset, nothing saved: %w", err)
		}
	}
	cur, err := r.CurrentPosition(ctx)
	if err != nil {
		return fmt.Errorf("reading the current position of %s: %w", spec.Source, err)
	}
	if err := store.SaveCursors(cursors); err != nil {
		return fmt.Errorf("saving the backfill cursors of %s: %w", spec.Source, err)
	}
	if _, err := store.Bind(map[string]checkpoint.Server{spec.Source: checkpoint.ServerOf(cur)},
		map[string]change.Position{spec.Source: cur}); err != nil {
		return fmt.Errorf("saving the position of %s: %w", spec.Source, err)
	}
	was := "none"
	if !old.IsZero() {
		was = old.String()
	}
	fmt.Fprintf(w, "%s: checkpoint reset to the current position %s (was %s)\n", spec.Source, cur, was)
	if !spec.Backfill {
		fmt.Fprintln(w, "the changes in between will not be streamed; add --backfill to copy the source's tables on the next start")
		return nil
	}
	for _, c := range cursors {
		about := ""
		if c.Estimate > 0 {
			about = fmt.Sprintf(", about %d rows", c.Estimate)
		}
		fmt.Fprintf(w, "  backfill %s (key %s%s)\n", c.QualifiedName(), strings.Join(c.Key, ","), about)
	}
	fmt.Fprintf(w, "%s saved: the next tributary run streams from the current position and copies them meanwhile "+
		"(tributary status shows the progress); target rows whose source rows were deleted in between stay\n",
		plural(len(cursors), "backfill", "backfills"))
	return nil
}
