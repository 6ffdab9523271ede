package jsonl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/problem"
)

const (
	// bufferSize bounds the lines held in memory between writes; a longer
	// line is written through.
	bufferSize = 1 << 20
	// maxKeptLine is the largest line buffer kept for reuse after a part.
	maxKeptLine = 1 << 20
)

// ErrClosed is returned by Apply and Flush after Close.
var ErrClosed = errors.New("jsonl sink closed")

// Options configure a Sink.
type Options struct {
	// Path is the file to append to, created with mode 0640 if missing, or
	// "-" for Out.
	// A relative path in the service configuration is resolved against
	// the configuration file's folder.
	Path string `yaml:"path"`
	// Out receives the lines when Path is "-"; nil means os.Stdout.
	Out io.Writer `yaml:"-"`
	// Logger receives the sink's events; nil discards them.
	Logger *slog.Logger `yaml:"-"`
}

// Check reports every problem of the settings to r, by their keys in the
// service configuration.
func (o *Options) Check(r problem.Reporter) {
	if o.Path == "" {
		r.At("path", "is required")
	}
}

// Sink writes every row change as one JSON line (see package envelope), and
// every table statement of a transaction as a control record line.
//
// Delivery is at least once: after a restart the lines since the last
// checkpoint are written again. Consumers can drop repeats by source, binlog
// position (or GTID) and row.
type Sink struct {
	logger *slog.Logger
	name   string   // the path, or "standard output"
	file   *os.File // nil when writing to Options.Out
	// syncable is set when file is a regular file, which fsync applies to.
	syncable bool
	syncs    atomic.Uint64
	// syncMu serialises Flush and Close so that a Flush returns only after
	// the fsync that covers its lines, even when a concurrent Flush took it.
	syncMu sync.Mutex

	mu struct {
		sync.Mutex
		w    *bufio.Writer
		line []byte
		// dirty is set when lines were written since the last fsync.
		dirty  bool
		closed bool
		// err is the first write or fsync error; once set the sink
		// refuses further work, as the output's state is unknown.
		err error
	}
}

// New opens the output named by opts.Path.
func New(opts Options) (*Sink, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{logger: logger.With("sink_type", "jsonl")}
	var w io.Writer
	switch opts.Path {
	case "":
		return nil, errors.New(`creating jsonl sink: empty path (use "-" for standard output)`)
	case "-":
		s.name = "standard output"
		w = opts.Out
		if w == nil {
			w = os.Stdout
		}
	default:
		f, syncable, err := openFile(opts.Path, s.logger)
		if err != nil {
			return nil, fmt.Errorf("creating jsonl sink: %w", err)
		}
		s.name, s.file, s.syncable = opts.Path, f, syncable
		w = f
	}
	s.mu.w = bufio.NewWriterSize(w, bufferSize)
	s.logger.Info("jsonl sink opened", "path", s.name)
	return s, nil
}

// Apply writes one line per row change of txn, then one control record per
// table statement (envelope.AppendDDL). It is safe for concurrent
// use: the lines of one part are never interleaved with other lines. Lines
// may stay buffered until Flush.
func (s *Sink) Apply(ctx context.Context, txn *change.Txn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Check the whole part first so a malformed change writes nothing.
	for i := range txn.Changes {
		if err := envelope.Check(&txn.Changes[i]); err != nil {
			return fmt.Errorf("encoding change %d of transaction %d from %s: %w", i, txn.Seq, txn.Source, err)
		}
	}
	for j := range txn.DDL {
		if err := envelope.CheckDDL(&txn.DDL[j]); err != nil {
			return fmt.Errorf("encoding table statement %d of transaction %d from %s: %w", j, txn.Seq, txn.Source, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usableLocked(); err != nil {
		return err
	}
	for i := range txn.Changes {
		s.mu.dirty = true
		var err error
		if s.mu.line, err = envelope.Write(s.mu.w, s.mu.line, txn, i, txn.FirstRow+i); err != nil {
			s.mu.err = fmt.Errorf("writing to %s: %w", s.name, err)
			return s.mu.err
		}
	}
	for j := range txn.DDL {
		s.mu.dirty = true
		s.mu.line = append(envelope.AppendDDL(s.mu.line[:0], txn, j, envelope.DDLRow(txn, j)), '\n')
		if _, err := s.mu.w.Write(s.mu.line); err != nil {
			s.mu.err = fmt.Errorf("writing to %s: %w", s.name, err)
			return s.mu.err
		}
	}
	if cap(s.mu.line) > maxKeptLine {
		s.mu.line = nil
	}
	return nil
}

// usableLocked returns why the sink cannot take more work, or nil.
func (s *Sink) usableLocked() error {
	if s.mu.closed {
		return ErrClosed
	}
	return s.mu.err
}
