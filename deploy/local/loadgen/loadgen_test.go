package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := servers.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// sharedServers are two account shards and a recipes cluster with the demo
// schemas, started once for the tests that need them.
type sharedServers struct {
	once    sync.Once
	err     error
	dir     string
	running []*testenv.Server
}

var servers sharedServers

// stack returns a config writing to the shared servers, and root
// connections to the account shards and to the recipes cluster.
func stack(t *testing.T) (Config, []*sql.DB, *sql.DB) {
	t.Helper()
	servers.once.Do(servers.start)
	require.NoError(t, servers.err)
	cfg := Config{Logger: slog.New(slog.DiscardHandler)}
	var dbs []*sql.DB
	for i, s := range servers.running {
		dbs = append(dbs, s.DB(t, ""))
		if i < 2 {
			cfg.AccountsDSNs = append(cfg.AccountsDSNs, s.DSN("root", "", ""))
		} else {
			cfg.RecipesDSN = s.DSN("root", "", "")
		}
	}
	return cfg, dbs[:2], dbs[2]
}

// start starts the three servers at once and applies their schemas.
func (s *sharedServers) start() {
	s.dir, s.err = os.MkdirTemp("", "loadgen-test-")
	if s.err != nil {
		return
	}
	scripts := []string{schema.Accounts, schema.Accounts, schema.Recipes}
	s.running = make([]*testenv.Server, len(scripts))
	var g errgroup.Group
	for i, script := range scripts {
		g.Go(func() error {
			srv, err := testenv.Start(context.Background(), testenv.Options{
				Dir: filepath.Join(s.dir, strconv.Itoa(i)), ServerID: i + 1, GTIDDomain: i + 1,
			})
			if err != nil {
				return err
			}
			s.running[i] = srv
			db, err := sql.Open("mysql", srv.DSN("root", "", ""))
			if err != nil {
				return err
			}
			defer db.Close()
			return schema.Apply(context.Background(), db, script)
		})
	}
	s.err = g.Wait()
}

// stop stops whatever start started and removes its data.
func (s *sharedServers) stop() error {
	var errs []error
	for _, srv := range s.running {
		if srv != nil {
			errs = append(errs, srv.Stop())
		}
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

func TestRun(t *testing.T) {
	cfg, accounts, recipes := stack(t)
	// Enough transactions that every kind of value below survives the
	// deletes whatever the workers' interleaving (with 200, a NULL
	// metadata was left in about 98 runs of 100).
	cfg.Transactions = 600
	cfg.Seed = 1
	stats, err := Run(t.Context(), cfg)
	require.NoError(t, err)
	t.Log("\n" + stats.String())
	require.Equal(t, int64(600), stats.Committed+stats.Failed)
	require.Greater(t, stats.Committed, int64(450))

	tables := []string{tUsers, tProfiles, tRecipes, tSteps, tCooksnaps}
	require.ElementsMatch(t, tables, stats.Tables())
	for _, c := range []Counter{
		{tUsers, OpInsert}, {tUsers, OpUpdate}, {tUsers, OpKeyUpdate}, {tUsers, OpDelete},
		{tProfiles, OpInsert}, {tProfiles, OpUpdate},
		{tRecipes, OpInsert}, {tRecipes, OpUpdate}, {tRecipes, OpDelete},
		{tSteps, OpInsert}, {tSteps, OpUpdate}, {tSteps, OpKeyUpdate}, {tSteps, OpDelete},
		{tCooksnaps, OpInsert}, {tCooksnaps, OpUpdate}, {tCooksnaps, OpDelete},
	} {
		require.Positive(t, stats.Rows[c], "%s %s", c.Table, c.Op)
	}

	ctx := t.Context()
	for _, db := range accounts {
		requirePositive(t, db, "SELECT COUNT(*) FROM accounts.users")
		requirePositive(t, db, "SELECT COUNT(*) FROM accounts.user_profiles")
	}
	for _, table := range []string{tRecipes, tSteps, tCooksnaps} {
		requirePositive(t, recipes, "SELECT COUNT(*) FROM "+table)
	}

	// E-mails are unique across the shards, and each carries its shard.
	seen := map[string]int{}
	for i, db := range accounts {
		rows, err := db.QueryContext(ctx, "SELECT email FROM accounts.users")
		require.NoError(t, err)
		for rows.Next() {
			var email string
			require.NoError(t, rows.Scan(&email))
			prev, dup := seen[email]
			require.False(t, dup, "e-mail on shards %d and %d", prev+1, i+1)
			seen[email] = i
			require.True(t, strings.HasPrefix(email, "u"+string(rune('1'+i))+"-"), email)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}

	// The values cover NULLs, empty strings, characters outside the BMP,
	// large values and every status.
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.steps WHERE photo IS NULL")
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.steps WHERE LENGTH(photo) > 4096")
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.recipes WHERE description IS NULL")
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.recipes WHERE published_at IS NULL")
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.recipes WHERE published_at IS NOT NULL")
	requirePositive(t, recipes, "SELECT COUNT(DISTINCT status) - 2 FROM recipes.recipes")
	requirePositive(t, recipes, `SELECT COUNT(*) FROM recipes.steps WHERE body REGEXP '[\\x{10000}-\\x{10FFFF}]'`)
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.cooksnaps WHERE metadata IS NULL")
	requirePositive(t, recipes, "SELECT COUNT(*) FROM recipes.cooksnaps WHERE JSON_TYPE(metadata) = 'OBJECT'")
	requirePositive(t, accounts[0], "SELECT COUNT(*) FROM accounts.user_profiles WHERE avatar IS NULL")
	requirePositive(t, accounts[0], `SELECT COUNT(*) FROM accounts.users WHERE name REGEXP '[\\x{10000}-\\x{10FFFF}]'`)
}

func TestRunRateAndDuration(t *testing.T) {
	cfg, _, _ := stack(t)
	cfg.Rate = 20
	cfg.Duration = time.Second
	stats, err := Run(t.Context(), cfg)
	require.NoError(t, err)
	// The pacer lets through at most one transaction per 50 ms; a busy
	// machine may run fewer.
	require.GreaterOrEqual(t, stats.Committed+stats.Failed, int64(3))
	require.LessOrEqual(t, stats.Committed+stats.Failed, int64(21))
	require.Less(t, stats.Elapsed, 3*time.Second)
}

func TestRunStopsWithContext(t *testing.T) {
	cfg, _, _ := stack(t)
	cfg.AccountsDSNs = cfg.AccountsDSNs[:1]
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	stats, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.Positive(t, stats.Committed)
}

func TestRunMissingSchema(t *testing.T) {
	cfg, _, _ := stack(t)
	// The recipes cluster has no accounts schema.
	cfg.AccountsDSNs = []string{cfg.RecipesDSN}
	_, err := Run(t.Context(), cfg)
	require.ErrorContains(t, err, "accounts-1")
}

func requirePositive(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	var n int64
	require.NoError(t, db.QueryRowContext(t.Context(), query).Scan(&n), query)
	require.Positive(t, n, query)
}
