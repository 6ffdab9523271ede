package livecheck_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/livecheck"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// shardMappings exercises globs (their keys read the source and the
// table, so that shards cannot collide), all_columns, expressions, missing
// tables and keys; the line numbers matter to the test.
const shardMappings = `target: global.orders
key: [id]
sources:
  - source: shard-*
    table: shop.orders_*
    columns:
      id: "meta.source + ':' + meta.table + ':' + string(id)"
      amount: amount
      code: code
      note: upper(note)
      qty: qty
      extra: id
    filter: "state != 'x'"
---
target: global.customers
key: [id]
sources:
  - source: shard-1
    table: shop.customers
    all_columns: true
    exclude: [secret]
---
target: global.missing
key: [id]
sources:
  - source: shard-1
    table: shop.customers
    columns:
      id: id
---
target: global.keyed
key: [id]
sources:
  - source: shard-2
    table: nothing.*
    columns:
      id: "meta.table + ':' + string(id)"
`

func TestCheckShards(t *testing.T) {
	shard1 := testenv.StartT(t, testenv.Options{ServerID: 1})
	shard2 := testenv.StartT(t, testenv.Options{ServerID: 2})
	target := testenv.StartT(t, testenv.Options{ServerID: 3})
	shard1.Exec(t,
		"CREATE DATABASE shop CHARACTER SET utf8mb4",
		"CREATE TABLE shop.orders_2024 (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(10,2), code VARCHAR(200), note TEXT, qty INT)",
		"CREATE TABLE shop.orders_2025 (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(10,2), code VARCHAR(200), note TEXT, qty INT)",
		"CREATE TABLE shop.customers (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(50), secret VARCHAR(10), nick VARCHAR(20))",
		"CREATE VIEW shop.orders_view AS SELECT id FROM shop.orders_2024",
	)
	shard2.Exec(t,
		"CREATE DATABASE shop CHARACTER SET utf8mb4",
		"CREATE TABLE shop.orders_2025 (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(8,2), code VARCHAR(200), note TEXT, qty INT)",
	)
	target.Exec(t,
		"CREATE DATABASE global CHARACTER SET utf8mb4",
		"CREATE TABLE global.orders (id VARCHAR(100) PRIMARY KEY, amount DECIMAL(8,2), code VARCHAR(100), note VARCHAR(5), qty INT UNSIGNED)",
		"CREATE TABLE global.customers (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(50))",
		"CREATE TABLE global.keyed (id VARCHAR(100), region INT, PRIMARY KEY (id, region))",
	)
	file := filepath.Join(t.TempDir(), "shop.yaml")
	require.NoError(t, os.WriteFile(file, []byte(shardMappings), 0o600))
	set, err := mapping.Load([]string{file}, []string{"shard-1", "shard-2"})
	require.NoError(t, err)

	sources := map[string]*sql.DB{"shard-1": shard1.DB(t, ""), "shard-2": shard2.DB(t, "")}
	problems, err := livecheck.Check(t.Context(), set.Requirements(), sources, target.DB(t, ""))
	require.NoError(t, err)
	want := []string{
		`:4:5: source shard-1 table shop.orders_2024 has no column "state", which this entry reads`,
		`:4:5: source shard-1 table shop.orders_2025 has no column "state", which this entry reads`,
		`:4:5: source shard-2 table shop.orders_2025 has no column "state", which this entry reads`,
		`:8:7: source shard-1 column shop.orders_2024.amount (decimal(10,2)) into target column global.orders.amount (decimal(8,2)): the target DECIMAL has fewer integer digits`,
		`:8:7: source shard-1 column shop.orders_2025.amount (decimal(10,2)) into target column global.orders.amount (decimal(8,2)): the target DECIMAL has fewer integer digits`,
		`:9:7: warning: source shard-1 column shop.orders_2024.code (varchar(200) utf8mb4) into target column global.orders.code (varchar(100) utf8mb4): values up to 200 characters may not fit in 100`,
		`:9:7: warning: source shard-1 column shop.orders_2025.code (varchar(200) utf8mb4) into target column global.orders.code (varchar(100) utf8mb4): values up to 200 characters may not fit in 100`,
		`:9:7: warning: source shard-2 column shop.orders_2025.code (varchar(200) utf8mb4) into target column global.orders.code (varchar(100) utf8mb4): values up to 200 characters may not fit in 100`,
		`:11:7: source shard-1 column shop.orders_2024.qty (int(11)) into target column global.orders.qty (int(10) unsigned): an unsigned target rejects negative values`,
		`:11:7: source shard-1 column shop.orders_2025.qty (int(11)) into target column global.orders.qty (int(10) unsigned): an unsigned target rejects negative values`,
		`:11:7: source shard-2 column shop.orders_2025.qty (int(11)) into target column global.orders.qty (int(10) unsigned): an unsigned target rejects negative values`,
		`:12:7: target table global.orders has no column "extra", which this entry writes`,
		`:18:5: target table global.customers has no column "nick", which all_columns copies from source shard-1 table shop.customers`,
		`:26:5: target table global.missing does not exist`,
		`:34:5: no table matches nothing.* on source shard-2`,
		`:34:5: the primary key of target table global.keyed is (id, region), the mapping's key is (id)`,
	}
	for i := range want {
		want[i] = file + want[i]
	}
	require.Equal(t, want, lines(problems))
	require.Equal(t, len(want)-3, problems.Errors())
}

func TestCheckWithoutTarget(t *testing.T) {
	src := testenv.StartT(t, testenv.Options{})
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.customers (id BIGINT PRIMARY KEY)")
	set, err := mapping.Parse("m.yaml", []byte("target: global.missing\nkey: [id]\nsources:\n  - source: shard-1\n    table: shop.customers\n    columns: {id: id}\n"+
		"---\ntarget: global.other\nkey: [id]\nsources:\n  - source: elsewhere\n    table: shop.customers\n    columns: {id: id}\n"), nil)
	require.NoError(t, err)
	problems, err := livecheck.Check(t.Context(), set.Requirements(), map[string]*sql.DB{"shard-1": src.DB(t, "")}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{
		"m.yaml: warning: column types not checked: reading mapping file: open m.yaml: no such file or directory",
		`m.yaml:11:5: no configured source matches "elsewhere"`,
	}, lines(problems))
}
