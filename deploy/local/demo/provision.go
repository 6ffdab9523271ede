package demo

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
)

// tributaryUser is the account Tributary uses on every server.
const tributaryUser = "'tributary'@'127.0.0.1'"

// Privileges of the tributary user: on sources, what reading the binlog and
// copying rows needs, and writing the backfill watermarks in its own
// schema; on the target, everything in the global schema.
const (
	sourceGrant    = "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO " + tributaryUser
	watermarkGrant = "GRANT CREATE, INSERT, UPDATE ON `tributary`.* TO " + tributaryUser
	targetGrant    = "GRANT ALL PRIVILEGES ON `global`.* TO " + tributaryUser
)

// provision creates the server's demo schema and the tributary user with
// the given password. Every statement is idempotent.
func provision(ctx context.Context, s Server, rootDSN, password string) error {
	db, err := sql.Open("mysql", rootDSN)
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.Name, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := schema.Apply(ctx, db, s.Schema()); err != nil {
		return fmt.Errorf("creating schema on %s: %w", s.Name, err)
	}
	grants := []string{sourceGrant, watermarkGrant}
	if s.Role == RoleTarget {
		grants = []string{targetGrant}
	}
	// The password is checked by validPassword, so it is safe in a literal;
	// statements are not quoted in errors since they hold it.
	steps := []struct{ what, stmt string }{
		{"creating user", "CREATE USER IF NOT EXISTS " + tributaryUser + " IDENTIFIED BY '" + password + "'"},
		{"setting password", "ALTER USER " + tributaryUser + " IDENTIFIED BY '" + password + "'"},
	}
	for _, g := range grants {
		steps = append(steps, struct{ what, stmt string }{"granting privileges", g})
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.stmt); err != nil {
			return fmt.Errorf("%s for tributary on %s: %w", st.what, s.Name, err)
		}
	}
	return nil
}
