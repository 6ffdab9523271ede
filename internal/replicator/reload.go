package replicator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// reloadLoop reloads the mappings each time reload delivers, until ctx
// ends. A reload that fails leaves the running mappings in place.
func reloadLoop(ctx context.Context, reload <-chan struct{}, cfg *config.Config, current *atomic.Pointer[mapping.Set], logger *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
		}
		if err := reloadMappings(ctx, cfg, current); err != nil {
			logger.Error("keeping the running mappings: the reloaded ones are refused", "error", err)
			continue
		}
		logger.Info("mappings reloaded", "paths", len(cfg.Mappings), "targets", len(current.Load().Targets()))
	}
}

// reloadMappings compiles the configured mapping files again and, when
// they load, fit the live schemas and read and write the same tables as
// the running ones, puts them in current: each source's next transaction
// is mapped by them. What a reload may change is how rows are mapped
// (columns, expressions, filters, lookups' columns); a mapping that reads
// another source table, drops one, or writes another target or key needs
// a restart, since the readers, the backfills and the sinks were set up
// for the running tables.
func reloadMappings(ctx context.Context, cfg *config.Config, current *atomic.Pointer[mapping.Set]) error {
	old := current.Load()
	if old == nil {
		return errors.New("the service runs without mappings; adding them needs a restart")
	}
	set, err := LoadMappings(cfg)
	if err != nil {
		return err
	}
	if set == nil {
		return errors.New("the configuration names no mappings any more; removing them needs a restart")
	}
	if err := sameTables(old, set); err != nil {
		return err
	}
	problems, _, err := CheckLive(ctx, cfg, set)
	if err != nil {
		return err
	}
	if problems.Errors() > 0 {
		return fmt.Errorf("the mappings do not fit the live schemas:\n%w", problems)
	}
	current.Store(set)
	return nil
}

// sameTables returns an error naming every difference between the tables
// a and b read (by source entry and lookup) and write (target and key).
func sameTables(a, b *mapping.Set) error {
	ta, tb := tablesOf(a), tablesOf(b)
	var diffs []string
	for _, t := range ta {
		if !slices.Contains(tb, t) {
			diffs = append(diffs, "no longer "+t)
		}
	}
	for _, t := range tb {
		if !slices.Contains(ta, t) {
			diffs = append(diffs, "now "+t)
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the mappings changed the tables they read or write, which needs a restart: %s",
			strings.Join(diffs, "; "))
	}
	return nil
}

// tablesOf describes each table s reads and writes, one line each, sorted.
func tablesOf(s *mapping.Set) []string {
	var out []string
	for _, t := range s.Targets() {
		out = append(out, fmt.Sprintf("writes %s keyed by (%s)", t.QualifiedName(), strings.Join(t.Key, ", ")))
	}
	for _, r := range s.Requirements() {
		role := "reads"
		switch {
		case r.Lookup:
			// The target is named: the sinks give the targets that look
			// up a source workers of their own, set up at the start.
			role = "completes " + r.Target.QualifiedName() + " by looking up"
		case r.Driving:
			role = "drives " + r.Target.QualifiedName() + " from"
		default:
			role = "completes " + r.Target.QualifiedName() + " from"
		}
		out = append(out, fmt.Sprintf("%s %s.%s on %s", role, r.Schema, r.Table, r.Source))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
