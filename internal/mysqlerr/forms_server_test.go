package mysqlerr

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// The server's own messages for the verbatim codes a statement can meet
// have the forms Redact keeps.
func TestServerMessagesHaveTheirForms(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{})
	srv.Exec(t, "CREATE DATABASE f", "CREATE TABLE f.t (id INT PRIMARY KEY, v INT NOT NULL)",
		"CREATE USER 'ro'@'%' IDENTIFIED BY 'pw'", "GRANT SELECT ON f.* TO 'ro'@'%'")
	db := srv.DB(t, "f")
	ro, err := sql.Open("mysql", srv.DSN("ro", "pw", "f"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ro.Close() })
	for _, tt := range []struct {
		code uint16
		as   string
		q    string
	}{
		{1048, "root", "INSERT INTO t VALUES (1, NULL)"},
		{1049, "root", "USE nope"},
		{1054, "root", "SELECT nope FROM t"},
		{1136, "root", "INSERT INTO t VALUES (1)"},
		{1146, "root", "SELECT * FROM nope"},
		{1364, "root", "INSERT INTO t (id) VALUES (2)"},
		{1142, "ro", "INSERT INTO t VALUES (3, 3)"},
	} {
		conn := db
		if tt.as == "ro" {
			conn = ro
		}
		_, err := conn.Exec(tt.q)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: %v", tt.q, err)
		require.Equal(t, tt.code, me.Number, tt.q)
		require.True(t, logged(me), "%d %q", me.Number, me.Message)
	}
}
