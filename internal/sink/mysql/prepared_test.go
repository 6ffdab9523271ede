package mysql

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPreparedRefusedFallsBackToText makes the target refuse every
// prepared statement: full statements are then interpolated, and apply.
func TestPreparedRefusedFallsBackToText(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.kv (id INT PRIMARY KEY, v VARCHAR(10))")
	tg.srv.Exec(t, "SET GLOBAL max_prepared_stmt_count = 0")
	kv := table("kv", "id")
	s := tg.sink(t, Options{Workers: 1, RowsPerStatement: 2})
	cols := []string{"id", "v"}
	applyAll(t, s, txn(1, upsert(kv, cols, int64(1), "a"), upsert(kv, cols, int64(2), "b"), upsert(kv, cols, int64(3), "c")),
		txn(2, upsert(kv, cols, int64(4), "d"), upsert(kv, cols, int64(5), "e")))
	require.Equal(t, []string{"1|a", "2|b", "3|c", "4|d", "5|e"}, tg.dump(t, "SELECT * FROM kv ORDER BY id"))
	require.Zero(t, preparedShapes(s))
	require.Len(t, s.prepared.mu.stmts, 1, "the refused shape is remembered")
	require.Zero(t, s.Failed())
}
