package lookup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

// BenchmarkResolve resolves the lookups of one worker's batch as the
// recipes mapping has them: 2,000 recipe upserts, each reading its
// author's name (100 authors) and the JSON array of its three steps'
// bodies. The baseline, in the same run, is the driver alone running the
// same two queries and scanning their rows as raw bytes: what reading
// the rows costs before Resolve turns them into values, arrays and
// operations. It reports, for both, operations a second and this
// process's CPU an operation (the server's is the same for both), their
// ratio, and Resolve's allocations.
func BenchmarkResolve(b *testing.B) {
	const recipes, authors, stepsPer = 2000, 100, 3
	stmts := []string{
		"CREATE TABLE src.users (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(100) NOT NULL)",
		"CREATE TABLE src.steps (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, recipe_id BIGINT UNSIGNED NOT NULL, " +
			"position INT NOT NULL, body TEXT NOT NULL, KEY recipe_position (recipe_id, position))",
	}
	var users, steps strings.Builder
	for u := 1; u <= authors; u++ {
		if u > 1 {
			users.WriteString(", ")
		}
		fmt.Fprintf(&users, "(%d, 'Author %d')", u, u)
	}
	for r := 1; r <= recipes; r++ {
		for p := 1; p <= stepsPer; p++ {
			if steps.Len() > 0 {
				steps.WriteString(", ")
			}
			fmt.Fprintf(&steps, "(%d, %d, 'Step %d of recipe %d: stir the \"sauce\" for a while')", r, p, p, r)
		}
	}
	stmts = append(stmts, "INSERT INTO src.users VALUES "+users.String(),
		"INSERT INTO src.steps (recipe_id, position, body) VALUES "+steps.String())
	srv := startSource(b, stmts...)
	r := resolver(b, srv, Options{Batch: MaxBatch})
	author := &change.Lookup{Name: "recipes.yaml:author", Schema: "src", Table: "users",
		Match: []string{"id"}, Select: []string{"name"}, Columns: []string{"author_name"}}
	stepsLk := &change.Lookup{Name: "recipes.yaml:steps", Schema: "src", Table: "steps",
		Match: []string{"recipe_id"}, Select: []string{"body"}, Columns: []string{"steps"},
		Array: true, OrderBy: []string{"position", "id"}}
	target := &change.TargetTable{Schema: "global", Name: "recipes", Key: []string{"id"}}
	cols := []string{"id", "author_id", "title"}
	// One batch, whose operations reset puts back as they were before
	// Resolve (which gives them new Columns and Values arrays).
	ops := make([]*change.TargetOp, recipes)
	values := make([][]change.Value, recipes)
	pending := make([][]change.Pending, recipes)
	for i := range ops {
		id, by := uint64(i+1), uint64(i%authors+1)
		values[i] = []change.Value{id, by, "A recipe"}
		pending[i] = []change.Pending{
			{Lookup: author, Source: "src", Params: []change.Value{by}},
			{Lookup: stepsLk, Source: "src", Params: []change.Value{id}},
		}
		ops[i] = &change.TargetOp{Target: target, Kind: change.Upsert, Key: []change.Value{id}}
	}
	reset := func() {
		for i, op := range ops {
			op.Columns, op.Values, op.Pending = cols, values[i], pending[i]
		}
	}
	ctx := context.Background()
	reset()
	require.NoError(b, r.Resolve(ctx, ops))
	require.Equal(b, change.JSON(`["Step 1 of recipe 7: stir the \"sauce\" for a while","Step 2 of recipe 7: stir the \"sauce\" for a while","Step 3 of recipe 7: stir the \"sauce\" for a while"]`),
		ops[6].Values[4])
	require.Equal(b, "Author 7", ops[6].Values[3])

	db := srv.DB(b, "")
	in := func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
	authorIDs, recipeIDs := make([]any, authors), make([]any, recipes)
	for i := range authorIDs {
		authorIDs[i] = uint64(i + 1)
	}
	for i := range recipeIDs {
		recipeIDs[i] = uint64(i + 1)
	}
	bare := func() {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"SELECT t.`id`, t.`name` FROM `src`.`users` AS t WHERE t.`id` IN (" + in(authors) + ") ORDER BY t.`id` LOCK IN SHARE MODE", authorIDs},
			{"SELECT t.`recipe_id`, t.`body` FROM `src`.`steps` AS t WHERE t.`recipe_id` IN (" + in(recipes) + ") ORDER BY t.`recipe_id`, t.`position`, t.`id` LOCK IN SHARE MODE", recipeIDs},
		} {
			scanRaw(b, db, q.sql, q.args)
		}
	}

	// Each side's rate, and the CPU of this process an operation (the
	// server's is the same for both).
	var bareRate, ourRate, bareCPU, ourCPU float64
	measure := func(b *testing.B, once func(), rate, cpu *float64) {
		c0 := cpuNow()
		for b.Loop() {
			once()
		}
		ops := float64(b.N * recipes)
		*rate, *cpu = ops/b.Elapsed().Seconds(), (cpuNow()-c0).Seconds()/ops
		b.ReportMetric(*rate, "ops/s")
		b.ReportMetric(*cpu*1e6, "cpu-us/op")
	}
	b.Run("driver", func(b *testing.B) { measure(b, bare, &bareRate, &bareCPU) })
	b.Run("resolve", func(b *testing.B) {
		b.ReportAllocs()
		measure(b, func() {
			reset()
			if err := r.Resolve(ctx, ops); err != nil {
				b.Fatal(err)
			}
		}, &ourRate, &ourCPU)
	})
	if bareRate > 0 && ourRate > 0 {
		b.Logf("resolve: %.0f ops/s, %.2f µs of CPU an op; the driver alone: %.0f ops/s, %.2f µs; ratio %.2f, Resolve's own CPU %.2f µs an op",
			ourRate, ourCPU*1e6, bareRate, bareCPU*1e6, ourRate/bareRate, (ourCPU-bareCPU)*1e6)
	}
}

// cpuNow returns the CPU time this process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanRaw runs query and scans its rows as raw bytes.
func scanRaw(b *testing.B, db *sql.DB, query string, args []any) {
	rows, err := db.Query(query, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		b.Fatal(err)
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			b.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
}
