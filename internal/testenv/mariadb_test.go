package testenv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartStopRestart(t *testing.T) {
	s := StartT(t, Options{ServerID: 7})
	var id int
	require.NoError(t, s.DB(t, "").QueryRow("SELECT @@server_id").Scan(&id))
	require.Equal(t, 7, id)
	var format string
	require.NoError(t, s.DB(t, "").QueryRow("SELECT @@binlog_format").Scan(&format))
	require.Equal(t, "ROW", format)

	require.NoError(t, s.Kill())
	require.NoError(t, s.Restart(t.Context()))
	s.Exec(t, "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)")
}
