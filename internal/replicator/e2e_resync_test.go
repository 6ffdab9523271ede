package replicator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
)

// seedResync writes users on both account shards, profiles, and recipes
// with authors, and waits until the target holds them.
func seedResync(t *testing.T, d *demoCluster) {
	t.Helper()
	for u := 1; u <= 12; u++ {
		d.accounts.Exec(t, fmt.Sprintf("INSERT INTO accounts.users (id, email, name, created_at) VALUES (%d, 'u%d@example.com', 'User %d', NOW(6))", u, u, u))
		d.accounts.Exec(t, fmt.Sprintf("INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES (%d, 'bio %d', 'ja')", u, u))
	}
	// User 13 has no profile: its member's profile columns are NULL.
	d.accounts.Exec(t, "INSERT INTO accounts.users (id, email, name, created_at) VALUES (13, 'u13@example.com', 'User 13', NOW(6))")
	for u := 1; u <= 3; u++ {
		d.accounts2.Exec(t, fmt.Sprintf("INSERT INTO accounts.users (id, email, name, created_at) VALUES (%d, 's2-%d@example.com', 'Shard2 %d', NOW(6))", u, u, u))
	}
	for r := 1; r <= 20; r++ {
		d.recipes.Exec(t, fmt.Sprintf("INSERT INTO recipes.recipes (id, user_id, title, status) VALUES (%d, %d, 'Recipe %d', 'published')", r, 1+r%12, r))
	}
	d.caughtUp(t)
}

// Rows broken in the target on purpose (deleted, changed, added, a
// merged column, merged columns whose contributing row does not exist, an
// enriched column, a row of the shard whose key is computed) are found by verify --record and repaired by resync --range;
// a dry run changes nothing; --keys and --where repair the rows they
// name; ranges are resolved once a re-verify is clean. Without the
// service, resync refuses.
func TestResyncRepairsTheTarget(t *testing.T) {
	d := startDemoCluster(t)
	// A change sink beside the target: it gets the rows read again as
	// reads, and the deletes.
	changes := filepath.Join(d.dir, "changes.jsonl")
	cfgText, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(d.cfg, append(cfgText, fmt.Sprintf("  - name: changes\n    type: jsonl\n    jsonl:\n      path: %s\n", changes)...), 0o600))
	cmd, _ := d.run(t)
	d.caughtUp(t)
	seedResync(t, d)
	tgt := d.target.DB(t, "")

	d.target.Exec(t, "DELETE FROM global.members WHERE id = 3")
	d.target.Exec(t, "UPDATE global.members SET display_name = 'wrong' WHERE id = 4")
	d.target.Exec(t, "UPDATE global.members SET bio = 'broken' WHERE id = 5")
	d.target.Exec(t, "UPDATE global.members SET bio = 'stale', locale = 'fr' WHERE id = 13")
	d.target.Exec(t, "UPDATE global.members SET display_name = 'wrong' WHERE id = 1000000002")
	d.target.Exec(t, "INSERT INTO global.members (id, email, display_name) VALUES (500, 'ghost@example.com', 'Ghost')")
	d.target.Exec(t, "UPDATE global.recipes SET author_name = 'broken' WHERE id = 7")
	d.target.Exec(t, "DELETE FROM global.recipes WHERE id = 8")
	d.target.Exec(t, "INSERT INTO global.recipes (id, title, status) VALUES (900, 'ghost', 'published')")

	out, err := d.tributary(t, "verify", "--record", "--settle", "1s", "--mapping", "global.members", "--mapping", "global.recipes")
	require.Equal(t, 1, exitCode(t, err), out)
	require.Contains(t, out, "recorded range 1: global.members 6 keys")
	require.Contains(t, out, "recorded range 2: global.recipes 3 keys")

	out, err = d.tributary(t, "resync", "--range", "1", "--range", "2", "--dry-run")
	require.NoError(t, err, out)
	t.Logf("dry run:\n%s", out)
	require.Contains(t, out, "dry run")
	require.Contains(t, out, "would delete 1 target row of global.members")
	require.Contains(t, out, "would delete 1 target row of global.recipes")
	require.Equal(t, []string{`"500"|"ghost@example.com"|"Ghost"|NULL|NULL|`}, d.member(t, 500), "a dry run changes nothing")
	require.Equal(t, []string{`"4"|"u4@example.com"|"wrong"|"bio 4"|"ja"|`}, d.member(t, 4))

	out, err = d.tributary(t, "resync", "--range", "1", "--range", "2", "--settle", "5s")
	require.NoError(t, err, out)
	t.Logf("resync:\n%s", out)
	require.Contains(t, out, "range 1 resolved")
	require.Contains(t, out, "range 2 resolved")
	require.Empty(t, d.member(t, 500))
	require.Equal(t, []string{`"3"|"u3@example.com"|"User 3"|"bio 3"|"ja"|`}, d.member(t, 3))
	require.Equal(t, []string{`"4"|"u4@example.com"|"User 4"|"bio 4"|"ja"|`}, d.member(t, 4))
	require.Equal(t, []string{`"5"|"u5@example.com"|"User 5"|"bio 5"|"ja"|`}, d.member(t, 5))
	require.Equal(t, []string{`"13"|"u13@example.com"|"User 13"|NULL|NULL|`}, d.member(t, 13),
		"a contributor's columns without its row are cleared, the row kept")
	require.Equal(t, []string{`"1000000002"|"s2-2@example.com"|"Shard2 2"|NULL|NULL|`}, d.member(t, 1000000002))
	require.Equal(t, []string{`"7"|"User 8"|`, `"8"|"User 9"|`},
		dump(t, tgt, "SELECT id, author_name FROM global.recipes WHERE id IN (7, 8, 900) ORDER BY id"))
	out, err = d.tributary(t, "verify", "--settle", "1s")
	require.NoError(t, err, out)
	d.caughtUp(t) // the change sink too has made the windows durable
	var reads, deletes []string
	for _, e := range readEnvelopes(t, changes) {
		if e.Table != "users" && e.Table != "recipes" {
			continue
		}
		switch e.Op {
		case "read":
			reads = append(reads, fmt.Sprintf("%s/%s:%v", e.Source, e.Table, e.After["id"]))
		case "delete":
			deletes = append(deletes, fmt.Sprintf("%s/%s:%v", e.Source, e.Table, e.Before["id"]))
			require.Len(t, e.Before, 1, "a delete known by its key alone has only the key in its before image: %v", e.Before)
		}
	}
	require.ElementsMatch(t, []string{"jp-accounts/users:3", "jp-accounts/users:4", "jp-accounts/users:5", "jp-accounts/users:13",
		"jp-accounts-2/users:2", "jp-recipes/recipes:7", "jp-recipes/recipes:8"}, reads)
	require.ElementsMatch(t, []string{"jp-accounts/users:500", "jp-recipes/recipes:900"}, deletes)
	out, err = d.tributary(t, "ranges", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "0 open ranges")

	// --keys: a file of target keys.
	d.target.Exec(t, "UPDATE global.members SET display_name = 'wrong', bio = NULL WHERE id IN (6, 9)")
	keys := filepath.Join(t.TempDir(), "keys.tsv")
	require.NoError(t, os.WriteFile(keys, []byte("6\n9\n"), 0o600))
	out, err = d.tributary(t, "resync", "--mapping", "global.members", "--keys", keys, "--settle", "5s")
	require.NoError(t, err, out)
	require.Contains(t, out, "verified again, no differences")
	require.Equal(t, []string{`"6"|"u6@example.com"|"User 6"|"bio 6"|"ja"|`}, d.member(t, 6))
	require.Equal(t, []string{`"9"|"u9@example.com"|"User 9"|"bio 9"|"ja"|`}, d.member(t, 9))

	// --where: a predicate over the driving table's columns.
	d.target.Exec(t, "UPDATE global.recipes SET title = 'wrong' WHERE id BETWEEN 10 AND 12")
	out, err = d.tributary(t, "resync", "--mapping", "global.recipes", "--where", "id BETWEEN 10 AND 12", "--settle", "5s")
	require.NoError(t, err, out)
	require.Equal(t, []string{`"Recipe 10"|`, `"Recipe 11"|`, `"Recipe 12"|`},
		dump(t, tgt, "SELECT title FROM global.recipes WHERE id BETWEEN 10 AND 12 ORDER BY id"))

	// A row resync cannot delete leaves its range open, exit 1: an extra
	// row in the second shard's keys, whose entry computes the key (no
	// source key to delete it by).
	d.target.Exec(t, "INSERT INTO global.members (id, email, display_name) VALUES (1000000099, 'ghost2@example.com', 'Ghost')")
	ghost := filepath.Join(t.TempDir(), "ghost.csv")
	require.NoError(t, os.WriteFile(ghost, []byte("1000000099\n"), 0o600))
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.members", "--keys", ghost)
	require.NoError(t, err, out)
	out, err = d.tributary(t, "resync", "--range", "3", "--settle", "1s")
	require.Equal(t, 1, exitCode(t, err), out)
	t.Logf("resync:\n%s", out)
	require.Contains(t, out, "global.members extra id=1000000099")
	require.Contains(t, out, "1 difference remains")
	out, err = d.tributary(t, "ranges", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 open range")

	// A predicate range also deletes the target rows it owns whose source
	// rows are gone: the predicate, over columns the entry copies
	// verbatim, is read on the target, and its keys are resynced too.
	d.target.Exec(t, "INSERT INTO global.recipes (id, title, status) VALUES (30, 'ghost', 'published'), (31, 'ghost', 'published'), (40, 'outside', 'published')")
	d.target.Exec(t, "UPDATE global.recipes SET title = 'wrong' WHERE id = 16")
	out, err = d.tributary(t, "ranges", "add", "--mapping", "global.recipes", "--where", "id BETWEEN 15 AND 35")
	require.NoError(t, err, out)
	out, err = d.tributary(t, "resync", "--range", "4", "--dry-run")
	require.NoError(t, err, out)
	t.Logf("dry run:\n%s", out)
	require.Contains(t, out, "target rows of global.recipes matching `id` BETWEEN 15 AND 35 (entry 1 (jp-recipes recipes.recipes)): 8")
	require.Contains(t, out, "would delete 2 target rows of global.recipes")
	require.Equal(t, []string{`"30"|`, `"31"|`, `"40"|`}, dump(t, tgt, "SELECT id FROM global.recipes WHERE id >= 30 ORDER BY id"),
		"a dry run changes nothing")
	out, err = d.tributary(t, "resync", "--range", "4", "--settle", "5s")
	require.NoError(t, err, out)
	t.Logf("resync:\n%s", out)
	require.Contains(t, out, "range 4 resolved")
	require.Equal(t, []string{`"40"|`}, dump(t, tgt, "SELECT id FROM global.recipes WHERE id >= 30 ORDER BY id"),
		"exactly the rows the predicate owns are deleted")
	require.Equal(t, []string{`"Recipe 16"|`}, dump(t, tgt, "SELECT title FROM global.recipes WHERE id = 16"))

	// A predicate naming a column the entries do not copy verbatim
	// repairs the rows the source has and says how to find extra rows.
	d.target.Exec(t, "UPDATE global.members SET display_name = 'wrong' WHERE id = 7")
	d.target.Exec(t, "INSERT INTO global.members (id, email, display_name) VALUES (600, 'ghost3@example.com', 'Ghost')")
	out, err = d.tributary(t, "resync", "--mapping", "global.members", "--where", "created_at IS NOT NULL AND id BETWEEN 7 AND 700", "--settle", "5s")
	require.NoError(t, err, out)
	t.Logf("resync:\n%s", out)
	require.Contains(t, out, "not looked for through entry 1 (jp-accounts accounts.users): column created_at is not copied verbatim")
	require.Contains(t, out, "not looked for through entry 2 (jp-accounts-2 accounts.users): the entry computes the target key")
	require.Contains(t, out, "run tributary verify --mapping global.members --record")
	require.Equal(t, []string{`"7"|"u7@example.com"|"User 7"|"bio 7"|"ja"|`}, d.member(t, 7))
	require.Equal(t, []string{`"600"|"ghost3@example.com"|"Ghost"|NULL|NULL|`}, d.member(t, 600))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	out, err = d.tributary(t, "resync", "--mapping", "global.members", "--keys", keys)
	require.Equal(t, 2, exitCode(t, err), out)
	require.Contains(t, out, "no running tributary answers")
}

// A change the target refused for good (recorded under on_error: record)
// is repaired by resync --failed once the target is migrated: the row is
// read again from the source and the failed record is cleared.
func TestResyncFailed(t *testing.T) {
	d := startDemoCluster(t)
	d.setSinkOption(t, "on_error: record")
	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(5)")
	cmd, _ := d.run(t)
	d.caughtUp(t)
	insertCooksnap(t, d, 1, "ok")
	insertCooksnap(t, d, 2, "far too long")
	d.caughtUp(t)
	out, err := d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 failed change\n")
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)
	get := func(path string) string {
		resp, err := http.Get("http://" + cfg.HTTP.Listen + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		require.NoError(t, err)
		return b.String()
	}
	require.NotContains(t, get("/failed"), "far too long", "the list holds no row values")
	require.Contains(t, get("/failed/1"), "far too long", "one failed change, whole")

	out, err = d.tributary(t, "resync", "--failed", "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "from 1 failed change")
	out, err = d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 failed change\n", "a dry run changes nothing")

	// A resync --failed cut off before its re-verify left the range of
	// its failed change open; another failed since.
	body, err := json.Marshal(checkpoint.Range{Mapping: "global.cooksnaps", Origin: checkpoint.RangeFailed,
		Keys: [][]string{{"2"}}, Reason: "failed changes 1"})
	require.NoError(t, err)
	resp, err := http.Post("http://"+cfg.HTTP.Listen+"/ranges", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var cutOff checkpoint.Range
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cutOff))
	require.NoError(t, resp.Body.Close())
	require.NotZero(t, cutOff.ID)
	insertCooksnap(t, d, 3, "also far too long")
	d.caughtUp(t)

	d.target.Exec(t, "ALTER TABLE global.cooksnaps MODIFY comment VARCHAR(1024)")
	out, err = d.tributary(t, "resync", "--failed", "--settle", "5s")
	require.NoError(t, err, out)
	require.Contains(t, out, "cleared 2 repaired failed changes")
	require.Contains(t, out, fmt.Sprintf("range %d resolved: an earlier resync of failed changes that did not end", cutOff.ID))
	require.Equal(t, []string{`"1"|"ok"|`, `"2"|"far too long"|`, `"3"|"also far too long"|`},
		dump(t, d.target.DB(t, ""), "SELECT id, comment FROM global.cooksnaps ORDER BY id"))
	out, err = d.tributary(t, "failed", "list")
	require.NoError(t, err, out)
	require.Contains(t, out, "0 failed changes\n")
	out, err = d.tributary(t, "ranges", "list")
	require.NoError(t, err, out)
	require.NotContains(t, out, "failed", "no range is left open")
	out, err = d.tributary(t, "ranges", "list", "--all")
	require.NoError(t, err, out)
	require.Contains(t, out, "failed changes 1-2")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
}
