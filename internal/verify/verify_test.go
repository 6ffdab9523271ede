package verify_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// pair is a source server and a target server holding the same tables.
type pair struct {
	source, target *testenv.Server
	set            *mapping.Set
}

// trapSchema is created on both servers: values that only look alike
// (NULL, ”, 'NULL'), keys that a case-insensitive collation or PAD SPACE
// takes as equal, and a source key that is case-sensitive where the
// target's is not.
var trapSchema = []string{
	"CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
	`CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50) NULL, price DECIMAL(10,2) NOT NULL,
		at DATETIME(6) NULL, tag CHAR(8) NULL, raw VARBINARY(16) NULL)`,
	"CREATE TABLE shop.codes (code VARCHAR(20) NOT NULL PRIMARY KEY, label VARCHAR(20) NULL)",
}

// tagsTable differs: the source tells 'x' from 'X', the target cannot.
const (
	sourceTags = "CREATE TABLE shop.tags (tag VARCHAR(10) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, n INT NOT NULL)"
	targetTags = "CREATE TABLE shop.tags (tag VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL PRIMARY KEY, n INT NOT NULL)"
)

// trapRows are written to both servers.
var trapRows = func() []string {
	out := []string{
		"INSERT INTO shop.items VALUES (1, NULL, 1.00, NULL, NULL, NULL), (2, '', 2.50, '2026-01-02 03:04:05.123456', 'a', x'00ff'), " +
			"(3, 'NULL', 3.00, NULL, 'b', ''), (4, 'Ann', 4.00, NULL, NULL, NULL)",
		"INSERT INTO shop.codes VALUES ('abc', 'first'), ('def ', 'spaced'), ('ghi', NULL)",
		"INSERT INTO shop.tags VALUES ('x', 1)",
	}
	var vals []string
	for i := 10; i < 2600; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'n%d', %d.25, '2026-02-03 04:05:06.000001', 't%d', x'%04x')", i, i, i, i%7, i))
	}
	return append(out, "INSERT INTO shop.items VALUES "+strings.Join(vals, ", "))
}()

const trapMappings = `
target: shop.items
key: [id]
sources:
  - source: src
    table: shop.items
    all_columns: true
---
target: shop.codes
key: [code]
sources:
  - source: src
    table: shop.codes
    columns: {code: code, label: label}
---
target: shop.tags
key: [tag]
sources:
  - source: src
    table: shop.tags
    columns: {tag: tag, n: n}
---
target: shop.notes
key: [id]
sources:
  - source: src
    table: shop.notes
    columns: {id: id, body: body}
    delete: soft
    soft_delete: {column: deleted_at}
---
target: shop.logs
key: [id]
sources:
  - source: src
    table: shop.logs
    columns: {id: id, line: line}
    delete: ignore
`

// policyTables are the tables of the delete policies: soft-deleted rows
// outlive their source rows in the target, and so does every row under
// delete: ignore.
var (
	sourcePolicies = []string{
		"CREATE TABLE shop.notes (id INT PRIMARY KEY, body VARCHAR(20))",
		"CREATE TABLE shop.logs (id INT PRIMARY KEY, line VARCHAR(20))",
		"INSERT INTO shop.notes VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO shop.logs VALUES (1, 'a')",
	}
	targetPolicies = []string{
		"CREATE TABLE shop.notes (id INT PRIMARY KEY, body VARCHAR(20), deleted_at DATETIME(6) NULL)",
		"CREATE TABLE shop.logs (id INT PRIMARY KEY, line VARCHAR(20))",
		"INSERT INTO shop.notes VALUES (1, 'a', NULL), (2, 'b', NULL), (3, 'gone', '2026-01-01 00:00:00')",
		"INSERT INTO shop.logs VALUES (1, 'a'), (2, 'kept')",
	}
)

// startPair starts the two servers with the trap tables, consistent.
func startPair(t *testing.T) *pair {
	t.Helper()
	p := &pair{
		source: testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 1}),
		target: testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 2}),
	}
	p.source.Exec(t, append(append(slices.Clone(trapSchema), sourceTags), trapRows...)...)
	p.source.Exec(t, "INSERT INTO shop.tags VALUES ('X', 2)")
	p.target.Exec(t, append(append(slices.Clone(trapSchema), targetTags), trapRows...)...)
	p.source.Exec(t, sourcePolicies...)
	p.target.Exec(t, targetPolicies...)
	file := filepath.Join(t.TempDir(), "shop.yaml")
	require.NoError(t, os.WriteFile(file, []byte(trapMappings), 0o600))
	set, err := mapping.Load([]string{file}, []string{"src"})
	require.NoError(t, err)
	p.set = set
	return p
}

// run verifies every target of the pair.
func (p *pair) run(t *testing.T, values bool) *verify.Report {
	t.Helper()
	rep, err := verify.Run(t.Context(), verify.Options{
		Set: p.set, Targets: []string{"shop.items", "shop.codes", "shop.tags"},
		Sources:   map[string]string{"src": p.source.DSN("root", "", "")},
		TargetDSN: p.target.DSN("root", "", ""), ChunkRows: 500, Settle: 300 * time.Millisecond, Values: values,
	})
	require.NoError(t, err)
	return rep
}

// found lists a report's differences as "target kind key [columns]".
func found(rep *verify.Report) []string {
	var out []string
	for _, m := range rep.Mappings {
		for _, d := range m.Diffs {
			var key []string
			for _, f := range d.Key {
				if n, ok := f.Value.(float64); ok { // read back from JSON
					key = append(key, strconv.FormatFloat(n, 'f', -1, 64))
					continue
				}
				key = append(key, fmt.Sprintf("%v", f.Value))
			}
			out = append(out, fmt.Sprintf("%s %s %s %v", m.Target, d.Kind, strings.Join(key, ","), d.Columns))
		}
	}
	slices.Sort(out)
	return out
}

func TestVerifyFindsExactlyTheCorruptedRows(t *testing.T) {
	p := startPair(t)
	// Before the traps and corruptions, the tag X collides with x on the
	// case-insensitive target: one row there, two at the source.
	rep := p.run(t, false)
	require.Equal(t, []string{"shop.tags different X [tag n]"}, found(rep))
	items := rep.Mappings[0]
	require.Equal(t, 2594, items.Compared)
	require.True(t, items.ExtraChecked)

	p.target.Exec(t,
		// NULL, '' and 'NULL' swapped around
		"UPDATE shop.items SET name = '' WHERE id = 1",
		"UPDATE shop.items SET name = NULL WHERE id = 2",
		"UPDATE shop.items SET name = NULL WHERE id = 3",
		// deleted, changed, extra rows
		"DELETE FROM shop.items WHERE id IN (10, 1500)",
		"UPDATE shop.items SET price = price + 0.01, tag = 'zz' WHERE id = 2000",
		"UPDATE shop.items SET raw = x'0001' WHERE id = 2599",
		"INSERT INTO shop.items VALUES (9000, 'extra', 1, NULL, NULL, NULL), (5, 'extra', 1, NULL, NULL, NULL)",
		// keys equal for the collation: same rows, the key's bytes differ
		"UPDATE shop.codes SET code = 'ABC' WHERE code = 'abc'",
		"UPDATE shop.codes SET code = 'def' WHERE code = 'def '",
		"INSERT INTO shop.codes VALUES ('xyz', NULL)",
	)
	rep = p.run(t, false)
	require.Equal(t, []string{
		"shop.codes different abc [code]",
		"shop.codes different def  [code]",
		"shop.codes extra xyz []",
		"shop.items different 1 [name]",
		"shop.items different 2 [name]",
		"shop.items different 2000 [price tag]",
		"shop.items different 2599 [raw]",
		"shop.items different 3 [name]",
		"shop.items extra 5 []",
		"shop.items extra 9000 []",
		"shop.items missing 10 []",
		"shop.items missing 1500 []",
		"shop.tags different X [tag n]",
	}, found(rep))
	require.Equal(t, 13, rep.Differences())
	for _, d := range rep.Mappings[0].Diffs {
		require.Nil(t, d.Want, "values only when asked for")
	}

	rep = p.run(t, true)
	var sawNull bool
	for _, d := range rep.Mappings[0].Diffs {
		if d.Kind == verify.Different && d.Key[0].Value == int64(1) {
			require.Equal(t, []verify.Field{{Column: "name", Value: nil}}, d.Want)
			require.Equal(t, []verify.Field{{Column: "name", Value: ""}}, d.Got)
			sawNull = true
		}
	}
	require.True(t, sawNull)
}

// TestVerifyManyDifferences re-checks more differences than a chunk holds,
// in batches: a target missing 1,200 rows and holding 700 extra ones.
func TestVerifyManyDifferences(t *testing.T) {
	p := startPair(t)
	p.target.Exec(t,
		"DELETE FROM shop.items WHERE id BETWEEN 100 AND 1299",
		"INSERT INTO shop.items (id, price) SELECT seq, 1 FROM seq.seq_5000_to_5699",
		"DELETE FROM shop.tags",
		"INSERT INTO shop.tags VALUES ('X ', 2), ('y', 3)",
	)
	rep := p.run(t, false)
	items := rep.Mappings[0]
	require.Equal(t, 1200, items.Missing)
	require.Equal(t, 700, items.Extra)
	require.Zero(t, items.Different)
	tags := rep.Mappings[2:]
	// A bound on the differences held stops the comparison of a target
	// there, without walking the target: the counts are lower bounds.
	rep, err := verify.Run(t.Context(), verify.Options{
		Set: p.set, Targets: []string{"shop.items"}, Sources: map[string]string{"src": p.source.DSN("root", "", "")},
		TargetDSN: p.target.DSN("root", "", ""), ChunkRows: 100, Settle: 100 * time.Millisecond, MaxDifferences: 250,
	})
	require.NoError(t, err)
	m := rep.Mappings[0]
	require.True(t, m.Truncated)
	require.False(t, m.ExtraChecked)
	require.Equal(t, 0, m.Extra)
	require.GreaterOrEqual(t, m.Missing, 250)
	require.Contains(t, m.Note, "stopped after")

	// x and X both find 'X ' on the target (case-insensitive, PAD SPACE):
	// one row, whose bytes differ from each; 'y' is extra.
	require.Equal(t, []string{"shop.tags different X [tag]", "shop.tags different x [tag n]", "shop.tags extra y []"},
		found(&verify.Report{Mappings: tags}))
}

// TestVerifyDeletePolicies: a row a soft-deleting entry marked deleted is
// expected to outlive its source row, one it did not mark is extra, and a
// live one marked deleted differs; under delete: ignore, and with
// --where, the target is not walked for extra rows.
func TestVerifyDeletePolicies(t *testing.T) {
	p := startPair(t)
	p.target.Exec(t,
		"INSERT INTO shop.notes VALUES (4, 'extra', NULL)",
		"UPDATE shop.notes SET deleted_at = '2026-01-01 00:00:00' WHERE id = 2",
	)
	run := func(where string) *verify.Report {
		rep, err := verify.Run(t.Context(), verify.Options{
			Set: p.set, Targets: []string{"shop.notes", "shop.logs", "shop.items"},
			Sources:   map[string]string{"src": p.source.DSN("root", "", "")},
			TargetDSN: p.target.DSN("root", "", ""), Settle: 100 * time.Millisecond, Where: where,
		})
		require.NoError(t, err)
		return rep
	}
	rep := run("")
	require.Equal(t, []string{"shop.notes different 2 [deleted_at]", "shop.notes extra 4 []"}, found(rep))
	logs := rep.Mappings[1]
	require.False(t, logs.ExtraChecked)
	require.Contains(t, logs.Note, "delete: ignore")
	require.Equal(t, 2594, rep.Mappings[2].Compared)

	rep = run("id < 2")
	require.Empty(t, found(rep))
	for _, m := range rep.Mappings {
		require.False(t, m.ExtraChecked)
		require.Contains(t, m.Note, "--where")
	}
	require.Equal(t, 1, rep.Mappings[0].Compared)
	require.Equal(t, 1, rep.Mappings[2].Compared)
}
