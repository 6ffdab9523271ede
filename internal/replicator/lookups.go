package replicator

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/lookup"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/retry"
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
	connectors := make(map[string]driver.Connector, len(cfg.Sources))
	for _, s := range cfg.Sources {
		dsns[s.Name] = s.DSN("")
		c, err := s.Connector("")
		if err != nil {
			return nil, fmt.Errorf("opening lookup pools: %w", err)
		}
		connectors[s.Name] = c
	}
	opts := cfg.Lookups
	opts.Sources, opts.Connectors, opts.Log = dsns, connectors, logger.With("component", "lookup")
	r, err := lookup.New(opts)
	if err != nil {
		return nil, fmt.Errorf("opening lookup pools: %w", err)
	}
	return r, nil
}

// Backoff between attempts to expand re-derivations after a transient
// source error: a random pause up to expandRetryMin doubled per attempt,
// capped at expandRetryMax.
var (
	expandRetryMin = 50 * time.Millisecond
	expandRetryMax = 2 * time.Second
)

// mapper applies the mappings' DDL policies to a part's table statements
// and derives its target operations (those that carry statements over
// under ddl: propagate after the rows'). onDDL, when set, hears of every
// statement a mapping went past.
func mapper(sets func() *mapping.Set, logger *slog.Logger, onDDL func(source string, n mapping.DDLNotice)) func(context.Context, *change.Txn) error {
	return func(ctx context.Context, txn *change.Txn) error {
		set := sets() // the running mappings, which a reload replaces
		var ddlOps []change.TargetOp
		if len(txn.DDL) > 0 {
			notices, err := set.CheckDDL(txn)
			for _, n := range notices {
				msg := "going past a table statement that can make the target diverge (ddl: ignore)"
				if n.Policy == mapping.DDLPropagate {
					msg = "carrying a table statement over to the target (ddl: propagate)"
				}
				logger.Warn(msg, "source", txn.Source, "gtid", txn.GTID, "kind", n.Event.Kind, "table", n.Event.QualifiedName(),
					"target", n.Target, "mapping", fmt.Sprintf("%s:%d", n.File, n.Line), "operations", len(n.Ops))
				if onDDL != nil {
					onDDL(txn.Source, n)
				}
			}
			if err != nil {
				return err
			}
			ddlOps = mapping.DDLOps(notices)
		}
		if err := set.Apply(txn); err != nil {
			return err
		}
		// A statement is a transaction of its own: its operations follow
		// the rows of the transaction, if any.
		txn.Ops = append(txn.Ops, ddlOps...)
		return nil
	}
}

// expander turns the re-derivations of mapped parts into the updates of
// the rows they reach, all parts' at once, retrying while the source's
// errors are transient.
func expander(r *lookup.Resolver, logger *slog.Logger) func(context.Context, []*change.Txn) error {
	return func(ctx context.Context, txns []*change.Txn) error {
		b := retry.Backoff{Min: expandRetryMin, Max: expandRetryMax}
		first := txns[0]
		err := retry.Do(ctx, b, func(int) error { return r.ExpandAll(ctx, txns) }, lookup.IsTransient,
			func(attempt int, wait time.Duration, err error) {
				logger.Warn("retrying re-derivation after transient source error", "source", first.Source,
					"seq", first.Seq, "parts", len(txns), "attempt", attempt, "error", err, "backoff", wait)
			})
		if err != nil {
			return fmt.Errorf("finding the target rows to re-derive: %w", err)
		}
		return nil
	}
}
