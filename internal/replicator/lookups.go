package replicator

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// LoadMappings compiles the mappings cfg names; nil when it names none.
func LoadMappings(cfg *config.Config) (*mapping.Set, error) {
	if len(cfg.Mappings) == 0 {
		return nil, nil
	}
	set, err := mapping.Load(cfg.Mappings, cfg.SourceNames())
	if err != nil {
		return nil, fmt.Errorf("loading mappings:\n%w", err)
	}
	return set, nil
}

// openResolver opens the lookup pools when the mappings need them: one
// bounded pool per configured source, each on the source's own server.
func openResolver(cfg *config.Config, set *mapping.Set, logger *slog.Logger) (*lookup.Resolver, error) {
	if set == nil || !set.NeedsLookups() {
		return nil, nil
	}
	dsns := make(map[string]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		dsns[s.Name] = s.DSN("")
	}
	opts := cfg.Lookups
	opts.Sources, opts.Log = dsns, logger.With("component", "lookup")
	r, err := lookup.New(opts)
	if err != nil {
		return nil, fmt.Errorf("opening lookup pools: %w", err)
	}
	return r, nil
}

// Backoff between attempts to expand re-derivations after a transient
// source error.
var (
	expandRetryMin = 50 * time.Millisecond
	expandRetryMax = 2 * time.Second
)

// mapper derives a part's target operations and, with a resolver, turns
// its re-derivations into the updates of the rows they reach, retrying
// while the source's errors are transient.
func mapper(set *mapping.Set, r *lookup.Resolver, logger *slog.Logger) func(context.Context, *change.Txn) error {
	return func(ctx context.Context, txn *change.Txn) error {
		if err := set.Apply(txn); err != nil {
			return err
		}
		if r == nil {
			return nil
		}
		wait := expandRetryMin
		for attempt := 1; ; attempt++ {
			err := r.Expand(ctx, txn)
			if err == nil {
				return nil
			}
			if !lookup.IsTransient(err) || ctx.Err() != nil {
				return fmt.Errorf("finding the target rows to re-derive: %w", err)
			}
			logger.Warn("retrying re-derivation after transient source error", "source", txn.Source,
				"seq", txn.Seq, "attempt", attempt, "error", err, "backoff", wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait = min(2*wait, expandRetryMax)
		}
	}
}
