package lookup

import (
	"context"
	"fmt"
	"slices"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/gtid"
)

// ResolveSeen is Resolve, and also says which source transactions its
// reads saw: for every source it reads, the set of transactions the
// source had written to its binlog (@@gtid_binlog_pos on MariaDB,
// @@gtid_executed on MySQL), read right before its first lookup query.
// The lookups lock what they read, so they see each of those
// transactions even when it is still committing. A writer can then tell
// that a later request to read the same rows again, made for a
// transaction the reads saw, would find nothing newer than changes it
// will be asked about anyway (see the MySQL sink's seen.go).
//
// A source whose set cannot be read as a GTID set (a server without
// GTIDs gives the empty set) saw nothing.
func (r *Resolver) ResolveSeen(ctx context.Context, ops []*change.TargetOp) (*gtid.Seen, error) {
	var sources []string
	for _, op := range ops {
		for _, p := range op.Pending {
			if !slices.Contains(sources, p.Source) {
				sources = append(sources, p.Source)
			}
		}
	}
	seen := &gtid.Seen{}
	for _, source := range sources {
		set, ok, err := r.executed(ctx, source)
		if err != nil {
			return nil, err
		}
		if ok {
			seen.Put(source, set)
		}
	}
	if err := r.Resolve(ctx, ops); err != nil {
		return nil, err
	}
	return seen, nil
}

// executed reads source's set of transactions written to its binlog; ok
// is false when the server gives something that is not a GTID set.
func (r *Resolver) executed(ctx context.Context, source string) (set gtid.Set, ok bool, err error) {
	db, err := r.pool("positions", source)
	if err != nil {
		return set, false, err
	}
	flavor, err := r.flavor(ctx, db, source)
	if err != nil {
		return set, false, err
	}
	query, name := gtid.ExecutedQuery(flavor)
	qctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	r.queries.Add(1)
	var text string
	if err := db.QueryRowContext(qctx, query).Scan(&text); err != nil {
		return set, false, fmt.Errorf("source %s: reading %s before its lookups: %w", source, name, r.timeoutError(ctx, qctx, err))
	}
	if set, err = gtid.Parse(flavor, text); err != nil {
		r.log.Warn("lookups taken as seeing no transaction: the source's position is not a GTID set",
			"source", source, "variable", name, "error", err)
		return set, false, nil
	}
	return set, true, nil
}
