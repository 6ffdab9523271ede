package livecheck_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/livecheck"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/migrate"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/migrations"
)

// demoDir holds the demo mappings.
const demoDir = "../../mappings"

// demo is the demo stack: three sources and a migrated target.
type demo struct {
	accounts, accounts2, recipes, target *testenv.Server
}

func startDemo(t *testing.T) *demo {
	t.Helper()
	ctx := t.Context()
	d := &demo{
		accounts:  testenv.StartT(t, testenv.Options{ServerID: 1}),
		accounts2: testenv.StartT(t, testenv.Options{ServerID: 4}),
		recipes:   testenv.StartT(t, testenv.Options{ServerID: 2}),
		target:    testenv.StartT(t, testenv.Options{ServerID: 3}),
	}
	require.NoError(t, schema.Apply(ctx, d.accounts.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.accounts2.DB(t, ""), schema.Accounts))
	require.NoError(t, schema.Apply(ctx, d.recipes.DB(t, ""), schema.Recipes))
	d.target.Exec(t, "CREATE DATABASE global")
	require.NoError(t, migrate.Up(ctx, d.target.DB(t, "global"), migrations.FS, nil))
	return d
}

func (d *demo) sources(t *testing.T) map[string]*sql.DB {
	return map[string]*sql.DB{"jp-accounts": d.accounts.DB(t, ""), "jp-accounts-2": d.accounts2.DB(t, ""), "jp-recipes": d.recipes.DB(t, "")}
}

// config writes a service configuration for the demo stack and loads it.
func (d *demo) config(t *testing.T) *config.Config {
	t.Helper()
	mappings, err := filepath.Abs(demoDir)
	require.NoError(t, err)
	dir := t.TempDir()
	data := fmt.Sprintf(`log: {format: text}
pebble: {dir: state}
mappings: [%s]
sources:
  - {name: jp-accounts, host: 127.0.0.1, port: %d, user: root, server_id: 101}
  - {name: jp-accounts-2, host: 127.0.0.1, port: %d, user: root, server_id: 103}
  - {name: jp-recipes, host: 127.0.0.1, port: %d, user: root, server_id: 102}
sinks:
  - name: target
    type: mysql
    mysql: {host: 127.0.0.1, port: %d, user: root}
`, mappings, d.accounts.Port, d.accounts2.Port, d.recipes.Port, d.target.Port)
	file := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(file, []byte(data), 0o600))
	cfg, err := config.Load(file)
	require.NoError(t, err)
	return cfg
}

func TestDemo(t *testing.T) {
	d := startDemo(t)
	ctx := t.Context()
	set, err := mapping.Load([]string{demoDir}, []string{"jp-accounts", "jp-accounts-2", "jp-recipes"})
	require.NoError(t, err)

	problems, err := livecheck.Check(ctx, set.Requirements(), d.sources(t), d.target.DB(t, ""))
	require.NoError(t, err)
	require.Empty(t, problems, problems.Error())

	var out bytes.Buffer
	require.NoError(t, admin.CheckMappingsLive(ctx, d.config(t), &out))
	require.Equal(t, "3 target tables checked against the live schemas: ok\n", out.String())

	d.recipes.Exec(t, "DROP TABLE recipes.cooksnaps",
		"ALTER TABLE recipes.recipes DROP INDEX user", "ALTER TABLE recipes.steps DROP INDEX recipe_position")
	d.accounts.Exec(t, "ALTER TABLE accounts.users DROP COLUMN name")
	d.target.Exec(t,
		"ALTER TABLE global.recipes DROP PRIMARY KEY",
		"ALTER TABLE global.recipes MODIFY author_id INT NULL",
		"ALTER TABLE global.members DROP COLUMN email",
	)
	problems, err = livecheck.Check(ctx, set.Requirements(), d.sources(t), d.target.DB(t, ""))
	require.NoError(t, err)
	want := []string{
		demoDir + "/cooksnaps.yaml:5:5: no table matches recipes.cooksnaps on source jp-recipes",
		demoDir + `/members.yaml:16:7: target table global.members has no column "email", which this entry writes`,
		demoDir + `/members.yaml:17:7: source jp-accounts table accounts.users has no column "name", which this entry reads`,
		demoDir + `/members.yaml:24:7: target table global.members has no column "email", which this entry writes`,
		demoDir + "/recipes.yaml:6:5: target table global.recipes has no primary key; the mapping's key is (id)",
		demoDir + "/recipes.yaml:11:7: source jp-recipes column recipes.recipes.user_id (bigint(20) unsigned) into target column global.recipes.author_id (int(11)): the target integer range is narrower",
		// The author-name lookup reads the dropped column too.
		demoDir + `/recipes.yaml:20:5: source jp-accounts table accounts.users has no column "name", which this entry reads`,
		// A rename re-derives the author's recipes, found by user_id; the
		// steps are read by recipe_id.
		demoDir + "/recipes.yaml:20:5: warning: source jp-recipes table recipes.recipes has no index that starts with user_id: " +
			"finding the target rows that a change to a looked-up row re-derives scans the whole table " +
			"under shared locks, once per batch of changes; index (user_id) there",
		demoDir + "/recipes.yaml:28:5: warning: source jp-recipes table recipes.steps has no index that starts with recipe_id: " +
			"reading this lookup scans the whole table " +
			"under shared locks, once per batch of changes; index (recipe_id) there",
	}
	require.Equal(t, want, lines(problems))
	require.Equal(t, len(want)-2, problems.Errors())

	out.Reset()
	err = admin.CheckMappingsLive(ctx, d.config(t), &out)
	require.EqualError(t, err, "found 7 errors and 2 warnings against the live schemas")
	require.Contains(t, out.String(), "/mappings/recipes.yaml:6:5: target table global.recipes has no primary key")
}

func lines(ps livecheck.Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
