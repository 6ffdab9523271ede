package mysql

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func sessionIsolation(t *testing.T, s *Sink) string {
	t.Helper()
	var level string
	require.NoError(t, s.db.QueryRow("SELECT @@tx_isolation").Scan(&level))
	return level
}

// The workers write at READ COMMITTED, which locks no gaps between their
// rows for them to deadlock on.
func TestSessionsReadCommitted(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.t (id BIGINT PRIMARY KEY, v INT)")
	s := tg.sink(t, Options{})
	require.Equal(t, "READ-COMMITTED", sessionIsolation(t, s))
	applyAll(t, s, txn(1, upsert(table("t", "id"), []string{"id", "v"}, int64(1), int64(2))))
	require.Equal(t, []string{"1|2"}, tg.dump(t, "SELECT id, v FROM t"))
}

// A target that writes its binlog as statements refuses InnoDB writes at
// READ COMMITTED: the sessions keep its default, and writes go through.
func TestStatementBinlogKeepsDefaultIsolation(t *testing.T) {
	tg := startTarget(t, "CREATE TABLE tgt.t (id BIGINT PRIMARY KEY, v INT)")
	var logBin int
	require.NoError(t, tg.db.QueryRow("SELECT @@log_bin").Scan(&logBin))
	require.Equal(t, 1, logBin, "the test server must write a binlog")
	tg.srv.Exec(t, "SET GLOBAL binlog_format = 'STATEMENT'")
	s := tg.sink(t, Options{})
	require.Equal(t, "REPEATABLE-READ", sessionIsolation(t, s))
	t1 := table("t", "id")
	applyAll(t, s, txn(1, upsert(t1, []string{"id", "v"}, int64(1), int64(2)), upsert(t1, []string{"id", "v"}, int64(2), int64(3))),
		txn(2, updateRow(t1, int64(1), []string{"v"}, int64(5)), del(t1, int64(2))))
	require.Equal(t, []string{"1|5"}, tg.dump(t, "SELECT id, v FROM t"))
}
