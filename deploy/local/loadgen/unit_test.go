package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		errs []string
	}{
		{name: "accounts only", cfg: Config{AccountsDSNs: []string{"root@tcp(127.0.0.1:3306)/"}}},
		{name: "recipes only", cfg: Config{RecipesDSN: "root@tcp(127.0.0.1:3306)/"}},
		{name: "no DSN", cfg: Config{}, errs: []string{"no DSN"}},
		{
			name: "every problem at once",
			cfg: Config{
				AccountsDSNs: []string{"root@tcp(127.0.0.1:3306)/", "nonsense"}, RecipesDSN: "also nonsense",
				Rate: -1, Duration: -1, Transactions: -1, Workers: -1, MaxLOB: -1, ProgressEvery: -1,
			},
			errs: []string{"AccountsDSNs[1]", "RecipesDSN", "Rate", "Duration", "Transactions", "Workers", "MaxLOB", "ProgressEvery"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.EnsureDefaults()
			err := tt.cfg.Validate()
			if len(tt.errs) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, e := range tt.errs {
				require.ErrorContains(t, err, e)
			}
		})
	}
}

func TestEnsureDefaults(t *testing.T) {
	var c Config
	c.EnsureDefaults()
	require.Equal(t, DefaultWorkers, c.Workers)
	require.Equal(t, DefaultMaxLOB, c.MaxLOB)
	require.Equal(t, DefaultProgressEvery, c.ProgressEvery)
	require.NotZero(t, c.Seed)
	require.NotNil(t, c.Logger)
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		kind      string
		transient bool
	}{
		{"deadlock", &mysql.MySQLError{Number: 1213}, kindDeadlock, true},
		{"lock wait", &mysql.MySQLError{Number: 1205}, kindLockWait, true},
		{"duplicate", fmt.Errorf("writing: %w", &mysql.MySQLError{Number: 1062}), kindDuplicate, true},
		{"shutdown", &mysql.MySQLError{Number: 1053}, kindConnection, true},
		{"driver", mysql.ErrInvalidConn, kindConnection, true},
		{"syntax", &mysql.MySQLError{Number: 1064}, "", false},
		{"data too long", &mysql.MySQLError{Number: 1406}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, transient := classify(tt.err)
			require.Equal(t, tt.kind, kind)
			require.Equal(t, tt.transient, transient)
		})
	}
}

func TestText(t *testing.T) {
	g := &gen{rng: rand.New(rand.NewPCG(1, 2)), maxLOB: DefaultMaxLOB}
	wide := false
	for _, limit := range []int{0, 1, 2, 3, 4, 5, 17, 100, 200, 1024, textMax} {
		for range 50 {
			s := g.text(limit)
			require.LessOrEqual(t, len(s), limit)
			require.True(t, utf8.ValidString(s))
			wide = wide || strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF })
		}
	}
	require.True(t, wide, "no character outside the BMP")
}

func TestLOBSizes(t *testing.T) {
	tests := []struct {
		maxLOB, column int
	}{
		{DefaultMaxLOB, blobMax},
		{DefaultMaxLOB, mediumTextMax},
		{1 << 20, blobMax},
		{1 << 20, mediumTextMax},
		{10, blobMax},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxLOB, "/", tt.column), func(t *testing.T) {
			g := &gen{rng: rand.New(rand.NewPCG(3, 4)), maxLOB: tt.maxLOB}
			zero, biggest := false, 0
			for range 2000 {
				n := g.lobSize(tt.column)
				require.LessOrEqual(t, n, min(tt.maxLOB, tt.column))
				zero = zero || n == 0
				biggest = max(biggest, n)
			}
			require.True(t, zero)
			require.Greater(t, biggest, min(tt.maxLOB, tt.column)/2)
		})
	}
}

func TestOpsPick(t *testing.T) {
	for name, o := range map[string]ops{"accounts": accountOps, "recipes": recipeOps} {
		t.Run(name, func(t *testing.T) {
			g := &gen{rng: rand.New(rand.NewPCG(5, 6))}
			seen := map[string]int{}
			for range 20 * o.total {
				seen[o.pick(g).name]++
			}
			require.Len(t, seen, len(o.list), "every step is picked")
		})
	}
}

func TestPacer(t *testing.T) {
	require.Nil(t, newPacer(0))
	require.NoError(t, (*pacer)(nil).wait(t.Context()))

	p := newPacer(100)
	start := time.Now()
	for range 11 {
		require.NoError(t, p.wait(t.Context()))
	}
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	slow := newPacer(0.001)
	require.NoError(t, slow.wait(t.Context()), "the first turn is now")
	require.ErrorIs(t, slow.wait(ctx), context.Canceled)
}

func TestStatsString(t *testing.T) {
	s := Stats{
		Committed: 10, Retried: 2, Failed: 1, Elapsed: 2 * time.Second,
		Errors: map[string]int64{kindDeadlock: 2, kindDuplicate: 1},
		Rows: map[Counter]int64{
			{tUsers, OpInsert}: 7, {tUsers, OpKeyUpdate}: 1, {tSteps, OpDelete}: 3,
		},
	}
	want := "10 transactions committed in 2s (5.0/s), 2 retried, 1 failed\n" +
		"rows                         insert     update key-update     delete\n" +
		"accounts.users                    7          0          1          0\n" +
		"recipes.steps                     0          0          0          3\n" +
		"errors: deadlock=2 duplicate key=1\n"
	require.Equal(t, want, s.String())
	require.Equal(t, int64(8), s.TableRows(tUsers))
	require.Equal(t, "0 transactions committed in 0s (0.0/s), 0 retried, 0 failed\n"+
		"rows                         insert     update key-update     delete\n", Stats{}.String())
}

func TestCollector(t *testing.T) {
	c := newCollector()
	c.commit(map[Counter]int64{{tUsers, OpInsert}: 2})
	c.commit(map[Counter]int64{{tUsers, OpInsert}: 1, {tProfiles, OpInsert}: 1})
	c.attemptFailed(kindDeadlock, true)
	c.attemptFailed(kindDuplicate, false)
	s := c.snapshot()
	s.Rows[Counter{tUsers, OpInsert}] = 100 // a snapshot is a copy
	s = c.snapshot()
	require.Equal(t, int64(2), s.Committed)
	require.Equal(t, int64(1), s.Retried)
	require.Equal(t, int64(1), s.Failed)
	require.Equal(t, int64(3), s.Rows[Counter{tUsers, OpInsert}])
	require.Equal(t, map[string]int64{kindDeadlock: 1, kindDuplicate: 1}, s.Errors)
}
