package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// runner holds what the workers of one run share.
type runner struct {
	cfg      Config
	accounts []*cluster
	recipes  *cluster
	all      []*cluster
	stats    *collector
	pacer    *pacer
	claimed  atomic.Int64
	// runID makes this run's e-mails differ from earlier runs' ones.
	runID string
}

// Run writes the mixed workload to the account shards and the recipes
// cluster until ctx ends, cfg.Duration passes or cfg.Transactions have run,
// and returns what it did. Deadlocks, lock wait timeouts, duplicate keys and
// lost connections are counted, not returned; the error is for a workload
// that cannot run at all (bad config, unreachable server, missing schema,
// a statement the server rejects).
func Run(ctx context.Context, cfg Config) (Stats, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	r, err := newRunner(ctx, cfg, start)
	if err != nil {
		return Stats{}, err
	}
	// Duration counts from the first transaction, not from connecting.
	start = time.Now()
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	cfg.Logger.Info("load starting", "workers", cfg.Workers, "rate", cfg.Rate, "seed", cfg.Seed,
		"account_shards", len(r.accounts), "recipes", r.recipes != nil)

	g, gctx := errgroup.WithContext(ctx)
	for i := range cfg.Workers {
		w := &worker{id: i, r: r, g: &gen{
			rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i))),
			maxLOB: cfg.MaxLOB,
		}}
		g.Go(func() error { return w.run(gctx) })
	}
	done := make(chan struct{})
	var progress sync.WaitGroup
	progress.Go(func() { r.logProgress(done, start) })
	err = g.Wait()
	close(done)
	progress.Wait()
	err = errors.Join(err, r.close())

	stats := r.stats.snapshot()
	stats.Elapsed = time.Since(start)
	cfg.Logger.Info("load finished", "committed", stats.Committed, "failed", stats.Failed,
		"retried", stats.Retried, "elapsed", stats.Elapsed.Round(time.Millisecond))
	return stats, err
}

// newRunner connects to every cluster of cfg.
func newRunner(ctx context.Context, cfg Config, start time.Time) (*runner, error) {
	r := &runner{
		cfg:   cfg,
		stats: newCollector(),
		pacer: newPacer(cfg.Rate),
		runID: strconv.FormatInt(start.UnixNano(), 36),
	}
	for i, dsn := range cfg.AccountsDSNs {
		c, err := openCluster(ctx, fmt.Sprintf("accounts-%d", i+1), dsn, i+1, accountOps, cfg.Workers)
		if err != nil {
			return nil, errors.Join(err, r.close())
		}
		r.accounts = append(r.accounts, c)
		r.all = append(r.all, c)
	}
	if cfg.RecipesDSN != "" {
		c, err := openCluster(ctx, "recipes", cfg.RecipesDSN, 0, recipeOps, cfg.Workers)
		if err != nil {
			return nil, errors.Join(err, r.close())
		}
		r.recipes = c
		r.all = append(r.all, c)
	}
	return r, nil
}

// close closes every connection pool.
func (r *runner) close() error {
	var errs []error
	for _, c := range r.all {
		if err := c.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing connections to %s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// claim takes one transaction of the run's budget; false when it is spent.
func (r *runner) claim() bool {
	if r.cfg.Transactions == 0 {
		return true
	}
	return r.claimed.Add(1) <= int64(r.cfg.Transactions)
}

// pickCluster chooses where the next transaction runs: half of them on the
// recipes cluster, the rest spread over the account shards.
func (r *runner) pickCluster(g *gen) *cluster {
	if r.recipes != nil && (len(r.accounts) == 0 || g.chance(0.5)) {
		return r.recipes
	}
	return r.accounts[g.rng.IntN(len(r.accounts))]
}

// logProgress logs a progress line every cfg.ProgressEvery until done is
// closed.
func (r *runner) logProgress(done <-chan struct{}, start time.Time) {
	tick := time.NewTicker(r.cfg.ProgressEvery)
	defer tick.Stop()
	last, lastAt := int64(0), start
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			s := r.stats.snapshot()
			rate := float64(s.Committed-last) / now.Sub(lastAt).Seconds()
			r.cfg.Logger.Info("load progress", "committed", s.Committed, "per_second", fmt.Sprintf("%.1f", rate),
				"retried", s.Retried, "failed", s.Failed)
			last, lastAt = s.Committed, now
		}
	}
}
