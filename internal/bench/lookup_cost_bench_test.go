package bench

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// recipesMapping is global.recipes from jp-recipes, and with lookups also
// the author's name from jp-accounts and the steps, as in
// mappings/recipes.yaml.
func recipesMapping(lookups bool) string {
	m := `target: global.recipes
key: [id]
sources:
  - source: jp-recipes
    table: recipes.recipes
    driving: true
    columns: {id: id, author_id: user_id, title: title, description: description, status: status}
    filter: "status != 'draft'"
`
	if lookups {
		m += `lookups:
  - source: jp-accounts
    table: accounts.users
    match: {id: author_id}
    columns: {author_name: name}
  - source: jp-recipes
    table: recipes.steps
    match: {recipe_id: id}
    columns:
      steps: {json_array: body, order_by: [position, id]}
`
	}
	return m
}

// BenchmarkLookupCost drains a backlog of published recipes, then their
// steps, then renames of some of their authors on the other cluster, into
// global.recipes twice: without lookups, and with the author-name and
// steps lookups of mappings/recipes.yaml, where every recipe write reads
// its author and steps, every step re-derives its recipe and every rename
// re-derives the author's recipes. It reports target rows per second for
// both and the lookup queries per target row. Goals: well under 1 query a
// row, and the drain with lookups at least 0.7 times the rate of the one
// without. With TRIBUTARY_BENCH_BASELINE naming another tributary binary,
// that one drains with lookups too, after this one.
func BenchmarkLookupCost(b *testing.B) {
	const users, recipes, stepsPer, renames, perStmt = 5000, 100_000, 3, 2000, 1000
	bin, err := testenv.BuildTributary()
	require.NoError(b, err)
	baseline := os.Getenv("TRIBUTARY_BENCH_BASELINE")
	for i := 0; i < b.N; i++ {
		acc := testenv.StartT(b, testenv.Options{ServerID: 1, GTIDDomain: 1})
		rec := testenv.StartT(b, testenv.Options{ServerID: 2, GTIDDomain: 2})
		require.NoError(b, schema.Apply(b.Context(), acc.DB(b, ""), schema.Accounts))
		require.NoError(b, schema.Apply(b.Context(), rec.DB(b, ""), schema.Recipes))
		accDB, recDB := acc.DB(b, "accounts"), rec.DB(b, "recipes") // seq_ tables need a current database
		_, err := accDB.Exec(fmt.Sprintf(`INSERT INTO users (id, email, name, created_at)
			SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', seq), '2026-01-01 00:00:00' FROM seq_1_to_%d`, users))
		require.NoError(b, err)
		accFrom, recFrom := gtidPos(b, accDB), gtidPos(b, recDB)

		t0 := time.Now()
		for lo := 1; lo <= recipes; lo += perStmt {
			_, err := recDB.Exec(fmt.Sprintf(`INSERT INTO recipes (id, user_id, title, description, status, published_at)
				SELECT seq, 1 + seq * 7919 %% %d, CONCAT('Recipe ', seq), CONCAT('A dish ', MD5(seq), ' ', MD5(seq + 1)),
					'published', '2026-01-01 00:00:00'
				FROM seq_%d_to_%d`, users, lo, lo+perStmt-1))
			require.NoError(b, err)
		}
		// Positions run backwards within a recipe, so step ids are in the
		// reverse of step order and the array must be ordered by position.
		for lo := 0; lo < recipes*stepsPer; lo += perStmt {
			_, err := recDB.Exec(fmt.Sprintf(`INSERT INTO steps (recipe_id, position, body)
				SELECT 1 + seq DIV %[1]d, %[1]d - seq %% %[1]d, CONCAT('Step ', %[1]d - seq %% %[1]d, ' of recipe ', 1 + seq DIV %[1]d, ': ', MD5(seq))
				FROM seq_%[2]d_to_%[3]d`, stepsPer, lo, lo+perStmt-1))
			require.NoError(b, err)
		}
		// Renames spread over the users, one transaction each.
		for k := range renames {
			_, err := accDB.Exec("UPDATE users SET name = CONCAT('Renamed ', id) WHERE id = ?", 1+k*users/renames)
			require.NoError(b, err)
		}
		load := time.Since(t0)
		// Right after a bulk load InnoDB's statistics can be stale, and
		// the steps lookup then scans recipes.steps instead of using its
		// index (about three times the sources' CPU here); a live source
		// has settled statistics. LOCAL keeps it out of the binlog.
		rec.Exec(b, "ANALYZE LOCAL TABLE recipes.recipes, recipes.steps")
		acc.Exec(b, "ANALYZE LOCAL TABLE accounts.users")
		accTo, recTo := gtidPos(b, accDB), gtidPos(b, recDB)
		b.Logf("backlog: %d recipes, %d steps in %d statements (%s to %s), then %d renames of users (%s to %s), written in %.1fs",
			recipes, recipes*stepsPer, recipes*(1+stepsPer)/perStmt, recFrom, recTo, renames, accFrom, accTo, load.Seconds())
		srcs := []benchSource{
			{name: "jp-accounts", srv: acc, from: accFrom, to: accTo},
			{name: "jp-recipes", srv: rec, from: recFrom, to: recTo},
		}

		drain := func(bin string, serverID int, lookups bool) drainResult {
			dst := migratedTarget(b, serverID)
			res := mappedDrain(b, bin, srcs, []string{recipesMapping(lookups)}, dst)
			requireRecipes(b, accDB, recDB, dst.DB(b, ""), recipes, lookups)
			require.NoError(b, dst.Stop())
			return res
		}
		plain := drain(bin, 3, false)
		looked := drain(bin, 4, true)
		if baseline != "" {
			base := drain(baseline, 5, true)
			b.Logf("%s with lookups: %.1fs (CPU: tributary %.1fs, target %.1fs, sources %.1fs), %.0f lookup queries, %.0f re-derivations seen before; this build %.2f times its rate",
				baseline, base.took.Seconds(), base.ourCPU, base.targetCPU, base.sourceCPU, base.lookups, base.seen, base.took.Seconds()/looked.took.Seconds())
		}

		plainRate, lookedRate := recipes/plain.took.Seconds(), recipes/looked.took.Seconds()
		perRow := looked.lookups / recipes
		b.ReportMetric(plainRate, "no-lookups-rows/s")
		b.ReportMetric(lookedRate, "lookups-rows/s")
		b.ReportMetric(lookedRate/plainRate, "ratio-vs-no-lookups")
		b.ReportMetric(perRow, "queries-per-row")
		atMost, bothBusy := ceiling(plain, looked)
		b.ReportMetric(atMost, "cpu-ceiling")
		b.Logf("on %d cores the drain with lookups' CPU (%.1fs) allows a ratio of at most %.2f; %.2f were both drains to keep every core busy (without lookups: %.1fs)",
			runtime.NumCPU(), looked.cpu(), atMost, bothBusy, plain.cpu())
		b.Logf("drain of %d recipes (%d steps, %d renames): without lookups %.1fs %.0f rows/s (CPU: tributary %.1fs, target %.1fs, sources %.1fs); with lookups %.1fs %.0f rows/s (CPU: tributary %.1fs, target %.1fs, sources %.1fs), %.0f lookup queries, %.3f per row (goal well under 1), %.0f re-derivations seen before, %.0f updates left out as unchanged; the workers applied runs for %.1fs, %.1fs of it reading lookups; ratio %.2f (goal >= 0.7); author names and steps equal the sources",
			recipes, recipes*stepsPer, renames, plain.took.Seconds(), plainRate, plain.ourCPU, plain.targetCPU, plain.sourceCPU,
			looked.took.Seconds(), lookedRate, looked.ourCPU, looked.targetCPU, looked.sourceCPU, looked.lookups, perRow, looked.seen, looked.unchanged, looked.applying, looked.reading, lookedRate/plainRate)
		require.NoError(b, rec.Stop())
		require.NoError(b, acc.Stop())
	}
}

// requireRecipes fails unless target holds one row per recipe with the
// recipe's author, and with lookups the author's current name read from
// the accounts source for every row and the steps in position order for
// a few recipes; without lookups both stay NULL.
func requireRecipes(tb testing.TB, acc, rec, target *sql.DB, recipes int, lookups bool) {
	names := map[int64]string{}
	readRows(tb, acc, "SELECT id, name FROM accounts.users", func(s func(...any) error) error {
		var id int64
		var name string
		err := s(&id, &name)
		names[id] = name
		return err
	})
	authors := map[int64]int64{}
	readRows(tb, rec, "SELECT id, user_id FROM recipes.recipes", func(s func(...any) error) error {
		var id, user int64
		err := s(&id, &user)
		authors[id] = user
		return err
	})
	require.Len(tb, authors, recipes)
	n := 0
	readRows(tb, target, "SELECT id, author_id, author_name FROM global.recipes", func(s func(...any) error) error {
		var id, author int64
		var name sql.NullString
		if err := s(&id, &author, &name); err != nil {
			return err
		}
		n++
		require.Equal(tb, authors[id], author, "author of recipe %d", id)
		if lookups {
			require.Equal(tb, sql.NullString{String: names[author], Valid: true}, name, "author name of recipe %d", id)
		} else {
			require.False(tb, name.Valid, "author name of recipe %d without lookups", id)
		}
		return nil
	})
	require.Equal(tb, recipes, n, "target recipes")
	if !lookups {
		return
	}
	for _, id := range []int{1, 2, recipes / 2, recipes} {
		var raw []byte
		require.NoError(tb, target.QueryRow("SELECT steps FROM global.recipes WHERE id = ?", id).Scan(&raw))
		var got []string
		require.NoError(tb, json.Unmarshal(raw, &got), "steps of recipe %d: %s", id, raw)
		var want []string
		readRows(tb, rec, fmt.Sprintf("SELECT body FROM recipes.steps WHERE recipe_id = %d ORDER BY position", id), func(s func(...any) error) error {
			var body string
			err := s(&body)
			want = append(want, body)
			return err
		})
		require.Len(tb, got, 3, "steps of recipe %d", id)
		require.Equal(tb, want, got, "steps of recipe %d", id)
		require.Contains(tb, got[0], "Step 1 of recipe ", "first step of recipe %d", id)
	}
}

// readRows runs q on db and calls each with the scan of every row.
func readRows(tb testing.TB, db *sql.DB, q string, each func(scan func(...any) error) error) {
	rows, err := db.Query(q)
	require.NoError(tb, err)
	defer rows.Close()
	for rows.Next() {
		require.NoError(tb, each(rows.Scan))
	}
	require.NoError(tb, rows.Err())
}
