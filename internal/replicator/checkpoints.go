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

// maxFlushesInFlight bounds the flushes waiting for one source's sinks.
const maxFlushesInFlight = 16

// flush is one flush of the sinks for a source: the position applied when
// it began and the backfill cursors its parts carried, durable once it is
// done.
type flush struct {
	source  string
	pos     change.Position
	hasPos  bool
	cursors []checkpoint.Cursor
	done    bool
	err     error
}

// checkpointLoop checkpoints each source on its own: every interval it
// begins a flush of the sinks for each source that applied something
// since its last one, and saves in one synced write the positions whose
// flushes completed: as soon as they complete when the last write is
// about an interval old, else at the next tick. So a position is saved
// about one flush after the tick that follows its apply, not a tick later,
// and two writes are at least nine tenths of an interval apart. A
// source's flushes overlap (up to maxFlushesInFlight), each waiting only
// for what was applied before it began, and are taken in the order they
// began: behind a deep queue the checkpoint follows the sinks' progress
// instead of waiting for the queue to empty. A source whose parts wait (a stuck lookup, a locked row)
// holds back its own checkpoint only. It returns when ctx ends or stop is
// closed; Run writes the last checkpoint.
func (p *Pipeline) checkpointLoop(ctx context.Context, stop <-chan struct{}) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	// A slot for every flush that can be in flight: a flush that ends
	// after the loop has returned never blocks.
	results := make(chan *flush, len(p.Readers)*maxFlushesInFlight)
	pending := map[string][]*flush{} // by source, in the order begun
	ready := map[string]change.Position{}
	var readyCursors []checkpoint.Cursor
	var wrote time.Time // when save last wrote
	// write saves what is ready when the last write is about an interval
	// old (a tenth less, so a flush that completes a little sooner than
	// the last one does not wait a whole tick).
	write := func() error {
		if time.Since(wrote) < p.Interval-p.Interval/10 || len(ready) == 0 && len(readyCursors) == 0 {
			return nil
		}
		if err := p.save(ready, readyCursors); err != nil {
			readyCursors = nil // save put them back
			return err
		}
		wrote = time.Now()
		clear(ready)
		readyCursors = nil
		return nil
	}
	var wg sync.WaitGroup
	defer func() {
		// Flushes still in flight end on their own; the cursors that
		// were taken and not saved go back, newest first, for the last
		// checkpoint Run writes.
		wg.Wait()
		for _, fs := range pending {
			for i := len(fs) - 1; i >= 0; i-- {
				p.prog.saved(nil, fs[i].cursors, errNotSaved)
			}
		}
		p.prog.saved(nil, readyCursors, errNotSaved)
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return nil
		case f := <-results:
			if f.err != nil {
				return fmt.Errorf("flushing sinks before checkpointing source %s: %w", f.source, f.err)
			}
			f.done = true
			fs := pending[f.source]
			for len(fs) > 0 && fs[0].done {
				if fs[0].hasPos {
					ready[f.source] = fs[0].pos
				}
				readyCursors = append(readyCursors, fs[0].cursors...)
				fs = fs[1:]
			}
			pending[f.source] = fs
			if err := write(); err != nil {
				return err
			}
		case <-t.C:
			for _, source := range p.prog.sources() {
				if len(pending[source]) >= maxFlushesInFlight {
					continue
				}
				f := &flush{source: source}
				f.pos, f.hasPos, f.cursors = p.prog.take(source)
				if fs := pending[source]; len(fs) > 0 && len(f.cursors) == 0 && fs[len(fs)-1].pos == f.pos {
					continue // nothing applied since the last flush began
				}
				pending[source] = append(pending[source], f)
				wg.Go(func() {
					f.err = p.flushSource(ctx, source)
					results <- f
				})
			}
			// What the last flushes made durable, when they completed
			// too soon after the last write.
			if err := write(); err != nil {
				return err
			}
		}
	}
}

// flushThrough returns once every sink has accepted source's transaction
// seq (change.Txn.Seq) and everything before it, and has made it durable:
// a replay's rows that rode a position transaction, which moves no
// checkpoint.
func (p *Pipeline) flushThrough(ctx context.Context, source string, seq uint64) error {
	p.init()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p.prog.appliedSeq(source) < seq {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the sinks to apply the replayed rows: %w", ctx.Err())
		case <-tick.C:
		}
	}
	if err := p.flushSource(ctx, source); err != nil {
		return fmt.Errorf("flushing the sinks after the replay: %w", err)
	}
	return nil
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
