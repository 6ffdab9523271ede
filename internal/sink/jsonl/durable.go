package jsonl

import (
	"context"
	"errors"
	"fmt"
)

// Flush makes every line handed to Apply before the call durable: it writes
// out the buffer and, for a regular file, fsyncs it. It skips the fsync when
// nothing was written since the last one.
func (s *Sink) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	if err := s.usableLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.flushLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	dirty := s.mu.dirty
	s.mu.dirty = false
	s.mu.Unlock()
	// Apply may go on while the file syncs; lines written meanwhile are
	// made dirty again and synced by a later Flush.
	if !dirty || !s.syncable {
		return nil
	}
	if err := s.file.Sync(); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		// After a failed fsync the file's state is unknown (the kernel may
		// have dropped the dirty pages), so the sink stops here.
		s.mu.err = fmt.Errorf("syncing %s: %w", s.name, err)
		return s.mu.err
	}
	s.syncs.Add(1)
	return nil
}

// flushLocked writes the buffered lines out.
func (s *Sink) flushLocked() error {
	if err := s.mu.w.Flush(); err != nil {
		s.mu.err = fmt.Errorf("writing to %s: %w", s.name, err)
		return s.mu.err
	}
	return nil
}

// Syncs returns the number of fsyncs Flush and Close have done.
func (s *Sink) Syncs() uint64 { return s.syncs.Load() }

// Close flushes and fsyncs what is buffered, unless an earlier error stopped
// the sink, and closes the file. Closing twice returns nil.
func (s *Sink) Close() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil
	}
	s.mu.closed = true
	var err error
	if s.mu.err == nil {
		err = s.flushLocked()
		if err == nil && s.mu.dirty && s.syncable {
			if err = s.file.Sync(); err != nil {
				err = fmt.Errorf("syncing %s: %w", s.name, err)
			} else {
				s.syncs.Add(1)
			}
		}
	}
	s.mu.line = nil
	if s.file != nil {
		if cerr := s.file.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing %s: %w", s.name, cerr))
		}
	}
	s.logger.Info("jsonl sink closed", "path", s.name)
	return err
}
