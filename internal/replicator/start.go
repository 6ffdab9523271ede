package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/source"
)

// startPositions settles where each source starts. A source with a
// checkpoint resumes there, provided its server is the one the store
// recorded for it. A source without one starts only where it is told: its
// start setting, or its current position with init; otherwise it is
// refused, since an emptied, replaced or foreign store would silently skip
// every change made meanwhile. Start positions and servers are saved
// before streaming begins: a crash before the first checkpoint must not
// skip what came in between. A store that has checkpoints but no recorded
// servers (written before stores recorded them) gets them recorded.
// backfill: initial is a start setting too (the current position unless
// start: says otherwise); beforeBind, when set, hears of the sources that
// start afresh before their positions are saved.
func startPositions(ctx context.Context, store *checkpoint.Store, cfg *config.Config, readers map[string]*source.Reader,
	init bool, beforeBind func(context.Context, []string) error, logger *slog.Logger) (map[string]change.Position, error) {
	start := make(map[string]change.Position, len(readers))
	servers := make(map[string]checkpoint.Server)
	fresh := make(map[string]change.Position)
	var errs []error
	var unstarted []string
	for _, opts := range cfg.Sources {
		name, r := opts.Name, readers[opts.Name]
		cur, err := r.CurrentPosition(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading current position of %s: %w", name, err)
		}
		server := checkpoint.ServerOf(cur)
		recorded, err := store.Server(name)
		stored := err == nil
		if err != nil && !errors.Is(err, checkpoint.ErrNotFound) {
			return nil, fmt.Errorf("loading server of %s: %w", name, err)
		}
		pos, err := store.Position(name)
		hasCheckpoint := err == nil
		if err != nil && !errors.Is(err, checkpoint.ErrNotFound) {
			return nil, fmt.Errorf("loading checkpoint of %s: %w", name, err)
		}
		if !stored && hasCheckpoint {
			// A store from before servers were recorded: the checkpoint
			// itself names the server it was read from.
			recorded = checkpoint.ServerOf(pos)
		}
		if !recorded.IsZero() && !recorded.Same(server) {
			ok, err := failedOver(ctx, r, pos, hasCheckpoint)
			if err != nil {
				return nil, fmt.Errorf("comparing the history of %s's new server with its checkpoint: %w", name, err)
			}
			if !ok {
				errs = append(errs, serverChanged(cfg.Pebble.Dir, opts, recorded, server, pos, hasCheckpoint))
				continue
			}
			logger.Warn("the source's server changed and has executed every transaction up to the checkpoint: "+
				"resuming on it, as after a failover", "source", name, "was", recorded.String(), "now", server.String(),
				"position", pos.String())
			servers[name], stored = server, true
		}
		if hasCheckpoint {
			if !stored {
				logger.Info("recording the source's server in the store", "source", name, "server", server.String())
				servers[name] = server
			}
			logger.Info("resuming from checkpoint", "source", name, "position", pos.String())
			start[name] = pos
			continue
		}
		how := opts.Start
		if how == "" && (init || opts.Backfill == source.BackfillInitial) {
			how = source.StartCurrent
		}
		if how == "" {
			unstarted = append(unstarted, name)
			continue
		}
		pos = cur
		if how != source.StartCurrent {
			if pos, err = r.StartPosition(ctx, how); err != nil {
				return nil, fmt.Errorf("resolving start %q of %s: %w", how, name, err)
			}
		}
		logger.Info("no checkpoint: starting where told", "source", name, "start", how, "position", pos.String())
		fresh[name], servers[name], start[name] = pos, server, pos
	}
	if len(unstarted) > 0 {
		errs = append(errs, noStart(cfg.Pebble.Dir, unstarted))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if beforeBind != nil && len(fresh) > 0 {
		names := slices.Sorted(maps.Keys(fresh))
		if err := beforeBind(ctx, names); err != nil {
			return nil, err
		}
	}
	if len(servers) > 0 || len(fresh) > 0 {
		if _, err := store.Bind(servers, fresh); err != nil {
			return nil, fmt.Errorf("saving start positions: %w", err)
		}
	}
	id, err := store.ID()
	if err != nil {
		return nil, fmt.Errorf("reading the store's id: %w", err)
	}
	logger.Info("checkpoint store", "dir", cfg.Pebble.Dir, "id", id)
	return start, nil
}

// failedOver reports whether the source's new server carries on the
// history the checkpoint was read from: a GTID checkpoint whose every
// transaction the server has executed from the same origins, as a replica
// promoted by a failover (Aurora's, or a MariaDB or MySQL replica) has.
// Positions by file and offset belong to one server and never carry over.
func failedOver(ctx context.Context, r *source.Reader, pos change.Position, hasCheckpoint bool) (bool, error) {
	if !hasCheckpoint || pos.GTIDSet == "" {
		return false, nil
	}
	return r.HasExecuted(ctx, pos.GTIDSet)
}

// noStart is the refusal of sources that have no checkpoint and no start
// setting; it says how to start them deliberately.
func noStart(dir string, names []string) error {
	return fmt.Errorf("no checkpoint for source(s) %s in the store at %s, and no start setting. "+
		"A new store, or one that was emptied, replaced or lost its checkpoints, is never taken for a first start: "+
		"that would silently skip (or repeat) changes. To start deliberately, either set start: on each such source "+
		"in the configuration (%s: its current binlog position; %s: the oldest binary log still on the server; "+
		"%sSET: after the given GTID set; backfill: initial also starts it at its current position and copies the rows its mapped tables hold), or run `tributary run --init` once, which starts every source without a "+
		"checkpoint at its current position. To resume where a lost store left off, set the position first with "+
		"`tributary checkpoint set --source NAME --gtid SET`",
		strings.Join(names, ", "), dir, source.StartCurrent, source.StartEarliest, source.StartGTIDPrefix)
}

// serverChanged is the refusal of a source whose server is not the one the
// store's positions were read from.
func serverChanged(dir string, opts source.Options, recorded, now checkpoint.Server, pos change.Position, hasCheckpoint bool) error {
	at := ""
	if hasCheckpoint {
		at = fmt.Sprintf(" (its checkpoint: %s)", pos)
	}
	return fmt.Errorf("source %s: the store at %s belongs to %s%s, but %s:%d is %s. Either the store belongs to another "+
		"deployment, or the source's server was replaced (failover, restore, new cluster), and positions of one server "+
		"mean nothing on another, so Tributary does not resume. To continue on this server, set the position it should "+
		"start from, which also binds the source to it: `tributary checkpoint set --source %s --gtid SET` (after a failover "+
		"the GTID set of the checkpoint above still holds); to start afresh, point pebble.dir at a new empty folder and "+
		"run `tributary run --init` (or set start: for the source)",
		opts.Name, dir, recorded, at, opts.Host, opts.Port, now, opts.Name)
}
