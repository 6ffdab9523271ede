package replicator_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Writes to a table with a unique email, in runs long enough for its
// worker to split them over several connections: bulk inserts alone,
// which are written split, then with emails swapped between rows, changed
// to new values, freed by deletes and taken again by other rows, while
// the service is killed and restarted. The target ends as the source.
func TestSplitRunsConvergeAcrossKills(t *testing.T) {
	c := startReplayCluster(t, "name")
	c.src.Exec(t, "ALTER TABLE app.users ADD UNIQUE KEY email (email)")
	c.tgt.Exec(t, "ALTER TABLE tgt.users ADD UNIQUE KEY email (email)")
	db := c.src.DB(t, "")
	rng := rand.New(rand.NewPCG(11, 12))
	swap := func(a, b int) {
		tx, err := db.Begin()
		require.NoError(t, err)
		defer func() { _ = tx.Rollback() }()
		var ea, eb string
		if tx.QueryRow("SELECT email FROM app.users WHERE id = ?", a).Scan(&ea) != nil ||
			tx.QueryRow("SELECT email FROM app.users WHERE id = ?", b).Scan(&eb) != nil {
			return // one of them was deleted
		}
		for _, q := range []struct {
			email string
			id    int
		}{{fmt.Sprintf("tmp%d", a), a}, {ea, b}, {eb, a}} {
			_, err := tx.Exec("UPDATE app.users SET email = ? WHERE id = ?", q.email, q.id)
			require.NoError(t, err)
		}
		require.NoError(t, tx.Commit())
	}
	const rounds, per = 9, 1000
	insert := func(r int) {
		lo := r*per + 1
		c.src.Exec(t, fmt.Sprintf("INSERT INTO app.users SELECT seq, CONCAT('Name', seq), CONCAT('e', seq) FROM app.seq_%d_to_%d", lo, lo+per-1))
	}
	// First inserts alone, each caught up before the next: their runs
	// meet on nothing and are written split.
	cmd, _ := c.run(t)
	for r := range 3 {
		insert(r)
		c.caughtUp(t)
	}
	metrics := scrapeConfig(t, c.cfg)
	splits := regexp.MustCompile(`(?m)^tributary_mysql_split_runs_total\{[^}]*\} (\S+)$`).FindStringSubmatch(metrics)
	require.NotNil(t, splits, "no split runs metric")
	n, err := strconv.ParseFloat(splits[1], 64)
	require.NoError(t, err)
	require.Positive(t, n, "runs were split")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	// Then rounds that also swap, change, free and take emails again,
	// each killed while it is applied, at a different moment.
	for r := 3; r < rounds; r++ {
		cmd, _ := c.run(t)
		insert(r)
		top := (r + 1) * per
		for range 30 {
			swap(1+rng.IntN(top), 1+rng.IntN(top))
		}
		c.src.Exec(t,
			fmt.Sprintf("UPDATE app.users SET email = CONCAT('u', id, '-', %d) WHERE id %% 17 = %d", r, r),
			fmt.Sprintf("DELETE FROM app.users WHERE id %% 19 = %d", r),
			// Rows that take the emails the two statements above freed.
			fmt.Sprintf("INSERT IGNORE INTO app.users (id, name, email) SELECT seq + %d, 'Again', CONCAT('e', seq) FROM app.seq_1_to_%d",
				1_000_000*(r+1), top))
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
	}
	c.run(t)
	c.caughtUp(t)
	want := dump(t, db, "SELECT id, name, email FROM app.users ORDER BY id")
	require.Greater(t, len(want), rounds*per)
	require.Equal(t, want, dump(t, c.tgt.DB(t, ""), "SELECT id, name, email FROM tgt.users ORDER BY id"), "the target differs from the source")
}
