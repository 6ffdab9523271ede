package replicator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
)

// SourceFlusher is a sink that can make one source's parts durable without
// waiting for the other sources' (the MySQL sink, whose workers mix
// sources). Sinks without it are flushed whole for each source.
type SourceFlusher interface {
	// FlushSource returns once every part of source handed to Apply
	// before the call is durable.
	FlushSource(ctx context.Context, source string) error
}

// errNotSaved marks cursors handed back unsaved.
var errNotSaved = errors.New("not saved")

// flushed is the outcome of flushing the sinks for one source's position
// and the backfill cursors its parts carried.
type flushed struct {
	source  string
	pos     change.Position
	hasPos  bool
	cursors []checkpoint.Cursor
	err     error
}

// checkpointLoop checkpoints each source on its own: every interval it
// flushes the sinks for each source that applied something and is not
// being flushed already, and saves the positions whose flush completed in
// one synced write. A source whose parts wait (a stuck lookup, a locked
// row) holds back its own checkpoint only. It returns when ctx ends or stop
// is closed; Run writes the last checkpoint.
func (p *Pipeline) checkpointLoop(ctx context.Context, stop <-chan struct{}) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	// One slot per source, and a source has at most one flush in flight:
	// a flush that ends after the loop has returned never blocks.
	results := make(chan flushed, len(p.Readers))
	inflight := map[string]bool{}
	ready := map[string]change.Position{}
	var readyCursors []checkpoint.Cursor
	var wg sync.WaitGroup
	defer func() {
		// Flushes still in flight end on their own; the cursors they took
		// go back, for the last checkpoint Run writes.
		wg.Wait()
		for {
			select {
			case r := <-results:
				p.prog.saved(nil, r.cursors, errNotSaved)
			default:
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil
		case r := <-results:
			delete(inflight, r.source)
			if r.err != nil {
				p.prog.saved(nil, r.cursors, r.err)
				return fmt.Errorf("flushing sinks before checkpointing source %s: %w", r.source, r.err)
			}
			if r.hasPos {
				ready[r.source] = r.pos
			}
			readyCursors = append(readyCursors, r.cursors...)
		case <-t.C:
			if err := p.save(ready, readyCursors); err != nil {
				return err
			}
			clear(ready)
			readyCursors = nil
			for _, source := range p.prog.sources() {
				if inflight[source] {
					continue
				}
				inflight[source] = true
				pos, hasPos, cursors := p.prog.take(source)
				wg.Go(func() {
					err := p.flushSource(ctx, source)
					select {
					case results <- flushed{source, pos, hasPos, cursors, err}:
					case <-ctx.Done():
						p.prog.saved(nil, cursors, ctx.Err())
					}
				})
			}
		}
	}
}

// flushSource flushes every sink for source.
func (p *Pipeline) flushSource(ctx context.Context, source string) error {
	for _, s := range p.all {
		var err error
		if sf, ok := s.(SourceFlusher); ok {
			err = sf.FlushSource(ctx, source)
		} else {
			err = s.Flush(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// save writes the positions and backfill cursors in one synced batch and
// records them durable.
func (p *Pipeline) save(pos map[string]change.Position, cursors []checkpoint.Cursor) error {
	if len(pos) == 0 && len(cursors) == 0 {
		return nil
	}
	err := p.Store.SaveCheckpoint(pos, cursors)
	p.prog.saved(pos, cursors, err)
	if err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	p.Logger.Debug("checkpoint saved", "sources", len(pos))
	return nil
}
