package replicator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
)

// SourceFlusher is a sink that can make one source's parts durable without
// waiting for the other sources' (the MySQL sink, whose workers mix
// sources). Sinks without it are flushed whole for each source.
type SourceFlusher interface {
	// FlushSource returns once every part of source handed to Apply
	// before the call is durable.
	FlushSource(ctx context.Context, source string) error
}

// flushed is the outcome of flushing the sinks for one source's position.
type flushed struct {
	source string
	pos    change.Position
	err    error
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
	results := make(chan flushed)
	inflight := map[string]bool{}
	ready := map[string]change.Position{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil
		case r := <-results:
			delete(inflight, r.source)
			if r.err != nil {
				return fmt.Errorf("flushing sinks before checkpointing source %s: %w", r.source, r.err)
			}
			ready[r.source] = r.pos
		case <-t.C:
			if err := p.save(ready); err != nil {
				return err
			}
			clear(ready)
			for source, pos := range p.prog.pending() {
				if inflight[source] {
					continue
				}
				inflight[source] = true
				wg.Go(func() {
					err := p.flushSource(ctx, source)
					select {
					case results <- flushed{source, pos, err}:
					case <-ctx.Done():
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

// save writes the positions in one synced batch and records them durable.
func (p *Pipeline) save(pos map[string]change.Position) error {
	if len(pos) == 0 {
		return nil
	}
	err := p.Store.SavePositions(pos)
	p.prog.saved(pos, err)
	if err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	p.Logger.Debug("checkpoint saved", "sources", len(pos))
	return nil
}
