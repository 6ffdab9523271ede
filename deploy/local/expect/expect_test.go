package expect

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/migrations"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// demoServers starts the four servers of the demo with their schemas, the
// target migrated, and no rows.
func demoServers(t *testing.T) (Servers, map[string]*testenv.Server) {
	t.Helper()
	migration, err := fs.ReadFile(migrations.FS, "00001_global_schema.sql")
	require.NoError(t, err)
	_, up, ok := strings.Cut(string(migration), "-- +goose Up")
	require.True(t, ok)
	up, _, ok = strings.Cut(up, "-- +goose Down")
	require.True(t, ok)

	scripts := map[string][]string{
		"jp-accounts":   {schema.Accounts},
		"jp-accounts-2": {schema.Accounts},
		"jp-recipes":    {schema.Recipes},
		"target":        {schema.Target, up},
	}
	// Started at once: a start takes most of this test's time.
	names := []string{"jp-accounts", "jp-accounts-2", "jp-recipes", "target"}
	started := make([]*testenv.Server, len(names))
	var g errgroup.Group
	for i := range names {
		opts := testenv.Options{Dir: t.TempDir(), ServerID: i + 1}
		g.Go(func() (err error) {
			started[i], err = testenv.Start(context.Background(), opts)
			return err
		})
	}
	err = g.Wait()
	servers := map[string]*testenv.Server{}
	for i, s := range started {
		if s != nil {
			t.Cleanup(func() { _ = s.Stop() })
			servers[names[i]] = s
		}
	}
	require.NoError(t, err)
	for name, s := range servers {
		for _, script := range scripts[name] {
			s.Exec(t, schema.Statements(script)...)
		}
	}
	return Servers{
		Accounts:  servers["jp-accounts"].DB(t, ""),
		Accounts2: servers["jp-accounts-2"].DB(t, ""),
		Recipes:   servers["jp-recipes"].DB(t, ""),
		Target:    servers["target"].DB(t, ""),
	}, servers
}

func TestCompare(t *testing.T) {
	s, srv := demoServers(t)
	srv["jp-accounts"].Exec(t,
		`INSERT INTO accounts.users (id, email, name, created_at) VALUES
			(1, 'a@x', 'Aiko', NOW()), (2, 'b@x', 'Ben', NOW()), (3, 'c@x', '', NOW())`,
		// User 2 has no profile; profile 99 has no user.
		`INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES
			(1, 'tab\there', 'ja'), (3, '', NULL), (99, 'orphan', 'en')`,
	)
	srv["jp-accounts-2"].Exec(t,
		`INSERT INTO accounts.users (id, email, name, created_at) VALUES (1, 'd@x', 'Dana', NOW())`,
		`INSERT INTO accounts.user_profiles (user_id, bio, locale) VALUES (1, 'line\nbreak', 'en')`,
	)
	srv["jp-recipes"].Exec(t,
		// 11 is a draft; 12's author 777 is on no shard and it has no
		// steps; 13's author has an empty name.
		`INSERT INTO recipes.recipes (id, user_id, title, description, status) VALUES
			(10, 1, 'Miso soup', 'Warm', 'published'), (11, 2, 'Draft', NULL, 'draft'),
			(12, 777, 'Onigiri', NULL, 'hidden'), (13, 3, 'Tea', '', 'published')`,
		// Recipe 10's steps by position then id: 101, 100, 102.
		`INSERT INTO recipes.steps (id, recipe_id, position, body) VALUES
			(100, 10, 2, 'Add miso'), (101, 10, 1, 'Boil water'), (102, 10, 2, 'Serve'),
			(103, 11, 1, 'Think'), (104, 13, 1, 'Pour "hot" water — 茶')`,
		`INSERT INTO recipes.cooksnaps (id, recipe_id, user_id, comment, created_at) VALUES
			(20, 10, 1, 'Tasty', NOW()), (21, 12, 5, NULL, NOW()), (22, 10, 2, '', NOW())`,
	)
	srv["target"].Exec(t,
		`INSERT INTO global.members (id, email, display_name, bio, locale) VALUES
			(1, 'a@x', 'Aiko', 'tab\there', 'ja'), (2, 'b@x', 'Ben', NULL, NULL),
			(3, 'c@x', '', '', NULL), (1000000001, 'd@x', 'Dana', 'line\nbreak', 'en')`,
		// Spacing the server may add to JSON does not count.
		`INSERT INTO global.recipes (id, author_id, author_name, title, description, status, steps) VALUES
			(10, 1, 'Aiko', 'Miso soup', 'Warm', 'published', '["Boil water", "Add miso", "Serve"]'),
			(12, 777, NULL, 'Onigiri', NULL, 'hidden', '[]'),
			(13, 3, '', 'Tea', '', 'published', '["Pour \\"hot\\" water — 茶"]')`,
		`INSERT INTO global.cooksnaps (id, recipe_id, user_id, comment) VALUES
			(20, 10, 1, 'Tasty'), (21, 12, 5, NULL), (22, 10, 2, '')`,
	)

	diffs, err := Compare(t.Context(), s)
	require.NoError(t, err)
	require.Equal(t, []Diff{
		{Table: "global.members", Want: 4, Got: 4},
		{Table: "global.recipes", Want: 3, Got: 3},
		{Table: "global.cooksnaps", Want: 3, Got: 3},
	}, diffs)

	srv["target"].Exec(t,
		`UPDATE global.members SET bio = NULL WHERE id = 3`,
		`DELETE FROM global.cooksnaps WHERE id = 21`,
		`UPDATE global.recipes SET steps = '["Add miso", "Boil water", "Serve"]' WHERE id = 10`,
	)
	diffs, err = Compare(t.Context(), s)
	require.NoError(t, err)
	require.Equal(t, []Diff{
		{
			Table: "global.members", Want: 4, Got: 4,
			Missing:    []string{"3\tc@x\t\t\t\\N"},
			Unexpected: []string{"3\tc@x\t\t\\N\t\\N"},
		},
		{
			Table: "global.recipes", Want: 3, Got: 3,
			Missing:    []string{"10\t1\tAiko\tMiso soup\tWarm\tpublished\t" + `["Boil water","Add miso","Serve"]`},
			Unexpected: []string{"10\t1\tAiko\tMiso soup\tWarm\tpublished\t" + `["Add miso","Boil water","Serve"]`},
		},
		{Table: "global.cooksnaps", Want: 3, Got: 2, Missing: []string{"21\t12\t5\t\\N"}},
	}, diffs)
	require.False(t, diffs[0].Equal())
}
