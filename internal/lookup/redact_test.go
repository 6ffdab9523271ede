package lookup

import (
	"context"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// TestSourceMessagesAreRedacted reads, through a view, a row whose value
// the source's function quotes in the error it raises: the error Resolve
// returns keeps the code but not the message, which Unredacted gives back.
func TestSourceMessagesAreRedacted(t *testing.T) {
	const canary = "canary-91c2"
	srv := startSource(t,
		"CREATE TABLE src.people (id INT PRIMARY KEY, name VARCHAR(50))",
		"INSERT INTO src.people VALUES (1, '"+canary+"')",
		// SIGNAL takes a variable or a literal, not an expression.
		`CREATE FUNCTION src.checked(n VARCHAR(50)) RETURNS VARCHAR(50) DETERMINISTIC BEGIN
		   DECLARE msg VARCHAR(128) DEFAULT CONCAT('refused ', n);
		   IF n LIKE 'canary%' THEN
		     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
		   END IF;
		   RETURN n;
		 END`,
		"CREATE VIEW src.checked_people AS SELECT id, src.checked(name) AS name FROM src.people",
	)
	r := resolver(t, srv, Options{})
	lk := &change.Lookup{Name: "people.yaml:person", Schema: "src", Table: "checked_people",
		Match: []string{"id"}, Select: []string{"name"}, Columns: []string{"person_name"}}

	err := r.Resolve(context.Background(), []*change.TargetOp{pendingOp(lk, int64(10), int64(1))})
	require.Error(t, err)
	require.NotContains(t, err.Error(), canary)
	require.ErrorContains(t, err, "lookup people.yaml:person")
	require.ErrorContains(t, err, "src.checked_people on source src")
	require.ErrorContains(t, err, "error 1644 (45000): message withheld")
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me)
	require.Equal(t, uint16(1644), me.Number)
	require.False(t, IsTransient(err))
	require.Contains(t, mysqlerr.Unredacted(err), "refused "+canary)
}
