package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"text/tabwriter"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/source"
)

// openStore opens the Pebble store for an offline command.
func openStore(cfg *config.Config) (*checkpoint.Store, error) {
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	if errors.Is(err, checkpoint.ErrLocked) {
		return nil, fmt.Errorf("%w; stop the running service first (the store takes one process at a time)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening pebble store %s: %w", cfg.Pebble.Dir, err)
	}
	return store, nil
}

// ShowCheckpoints prints every checkpointed position.
func ShowCheckpoints(cfg *config.Config, w io.Writer) error {
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	pos, err := store.Positions()
	if err != nil {
		return fmt.Errorf("reading positions: %w", err)
	}
	names := make([]string, 0, len(pos))
	for n := range pos {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tFLAVOR\tGTID SET\tFILE\tPOS\tSERVER")
	for _, n := range names {
		p := pos[n]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", n, p.Flavor, dash(p.GTIDSet), dash(p.File), p.Pos, serverIdentity(p))
	}
	return tw.Flush()
}

// CheckpointSpec is a position given on the command line.
type CheckpointSpec struct {
	Source  string
	GTIDSet string
	File    string
	Pos     uint32
	// FromDMS is a DMS task's recovery checkpoint or a "file:offset", and
	// DMSStreamPosition the stream-position of the last record a DMS
	// stream's consumer took; either sets the position after it (see
	// dmsStart).
	FromDMS, DMSStreamPosition string
}

// SetCheckpoint replaces a source's position. It asks the source for its
// flavor and identity, so the position is checked (refused when the server
// cannot stream from it) and bound to that server: the store records the
// server as the source's, which is also how a source is moved to a new
// server (after a failover) deliberately.
func SetCheckpoint(ctx context.Context, cfg *config.Config, spec CheckpointSpec, logger *slog.Logger, w io.Writer) error {
	readers := replicator.NewReaders(cfg, nil, nil, logger)
	r, ok := readers[spec.Source]
	if !ok {
		return fmt.Errorf("no source named %q in %s", spec.Source, "the configuration")
	}
	cur, err := r.CurrentPosition(ctx)
	if err != nil {
		return fmt.Errorf("reading %s's identity: %w", spec.Source, err)
	}
	pos := change.Position{Flavor: cur.Flavor, ServerID: cur.ServerID, ServerUUID: cur.ServerUUID}
	if spec.FromDMS != "" || spec.DMSStreamPosition != "" {
		at, note, err := dmsStart(spec, cur.File)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, note)
		spec.GTIDSet, spec.File, spec.Pos = "", at.File, at.Pos
	}
	if spec.GTIDSet != "" {
		set, err := source.ParseGTIDSet(cur.Flavor, spec.GTIDSet)
		if err != nil {
			return fmt.Errorf("parsing --gtid: %w", err)
		}
		pos.GTIDSet = set.String()
	} else {
		pos.File, pos.Pos = spec.File, spec.Pos
		if _, err := pos.Ordinal(); err != nil {
			return fmt.Errorf("checking --file: %w", err)
		}
	}
	if err := r.Reachable(ctx, pos); err != nil {
		return fmt.Errorf("refusing the position for %s: %w", spec.Source, err)
	}
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Bind(map[string]checkpoint.Server{spec.Source: checkpoint.ServerOf(cur)},
		map[string]change.Position{spec.Source: pos}); err != nil {
		return fmt.Errorf("saving position: %w", err)
	}
	fmt.Fprintf(w, "%s: %s\n", spec.Source, pos)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func serverIdentity(p change.Position) string {
	if p.ServerUUID != "" {
		return p.ServerUUID
	}
	if p.ServerID != 0 {
		return fmt.Sprintf("server_id=%d", p.ServerID)
	}
	return "-"
}
