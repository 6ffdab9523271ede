package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
)

// preflight collects the outcome of the checks.
type preflight struct {
	failures []error
	warnings []string
}

func (p *preflight) fail(format string, args ...any) {
	p.failures = append(p.failures, fmt.Errorf(format, args...))
}

func (p *preflight) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// Preflight checks, before streaming, that the source can be read: binary
// logging on, binlog_format=ROW, binlog_row_image=FULL (MINIMAL or NOBLOB
// only with AllowPartialRowImage), binlog_row_metadata=FULL (MINIMAL or
// NO_LOG only with a schema history, with a warning), the replication
// user's privileges, and binlog retention (a warning under 24 hours). It
// logs warnings and returns every failure at once, each with its fix in
// general and on Aurora MySQL.
func (r *Reader) Preflight(ctx context.Context) error {
	var p preflight
	if err := r.opts.validate(); err != nil {
		p.failures = append(p.failures, err)
	}
	db, err := r.openDB()
	if err != nil {
		return fmt.Errorf("preflight of source %q: %w", r.opts.Name, err)
	}
	defer db.Close()
	srv, err := r.identify(ctx, db)
	if err != nil {
		p.failures = append(p.failures, fmt.Errorf("connecting as %q: %w", r.opts.User, err))
		return r.preflightResult(p)
	}
	if r.opts.ServerID != 0 && r.opts.ServerID == srv.ID {
		p.fail("the reader's server id %d equals the source's own @@server_id; choose another, unique among the source's replicas", srv.ID)
	}
	vars, err := variables(ctx, db, "log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata",
		"binlog_expire_logs_seconds", "expire_logs_days", "aurora_version")
	if err != nil {
		p.failures = append(p.failures, err)
		return r.preflightResult(p)
	}
	r.checkBinlogSettings(&p, vars)
	if err := r.checkPrivileges(ctx, db, srv, &p); err != nil {
		return fmt.Errorf("preflight of source %q: %w", r.opts.Name, err)
	}
	if err := checkRetention(ctx, db, vars, &p); err != nil {
		return fmt.Errorf("preflight of source %q: %w", r.opts.Name, err)
	}
	return r.preflightResult(p)
}

// preflightResult logs the warnings and joins the failures.
func (r *Reader) preflightResult(p preflight) error {
	for _, w := range p.warnings {
		r.log.Warn("preflight: "+w, "check", "preflight")
	}
	if len(p.failures) == 0 {
		r.log.Info("preflight passed", "warnings", len(p.warnings))
		return nil
	}
	items := make([]error, len(p.failures))
	for i, f := range p.failures {
		items[i] = fmt.Errorf("- %w", f)
	}
	return fmt.Errorf("preflight of source %q found %d %s:\n%w", r.opts.Name, len(p.failures),
		plural(len(p.failures), "problem", "problems"), errors.Join(items...))
}

const auroraReboot = "then reboot the writer instance"

// checkBinlogSettings checks log_bin, binlog_format, binlog_row_image and
// binlog_row_metadata.
func (r *Reader) checkBinlogSettings(p *preflight, vars map[string]string) {
	if v := strings.ToUpper(vars["log_bin"]); v != "ON" && v != "1" {
		p.fail("binary logging is off (log_bin=%s). Fix: start the server with --log-bin and a --server-id. "+
			"On Aurora MySQL: set binlog_format=ROW in the DB cluster parameter group (this turns the binary log on), %s",
			orNone(vars["log_bin"]), auroraReboot)
	}
	if v := strings.ToUpper(vars["binlog_format"]); v != "ROW" {
		p.fail("binlog_format is %s, but the reader needs row events. Fix: set binlog_format=ROW in the server "+
			"configuration (SET GLOBAL binlog_format='ROW' applies to new sessions only). "+
			"On Aurora MySQL: set binlog_format=ROW in the DB cluster parameter group, %s", orNone(vars["binlog_format"]), auroraReboot)
	}
	switch v := strings.ToUpper(vars["binlog_row_image"]); {
	case v == "FULL" || v == "":
	case r.opts.AllowPartialRowImage:
		p.warn("binlog_row_image is %s and partial row images are allowed: columns the server leaves out of a row image read as NULL", v)
	default:
		p.fail("binlog_row_image is %s: row images would lack unchanged columns, so before images would be incomplete "+
			"and rows could not be written out whole. Fix: set binlog_row_image=FULL in the server configuration "+
			"(or set allow_partial_row_image for this source to accept that). "+
			"On Aurora MySQL: set binlog_row_image=FULL in the DB cluster parameter group", v)
	}
	switch v := strings.ToUpper(vars["binlog_row_metadata"]); {
	case v == "FULL":
	case r.opts.History != nil:
		p.warn("binlog_row_metadata is %s: table maps carry no column names, so names come from schema history, "+
			"which follows DDL by reading information_schema. Setting binlog_row_metadata=FULL "+
			"(on Aurora MySQL in the DB cluster parameter group) is more robust", orNone(v))
	default:
		p.fail("binlog_row_metadata is %s and no schema history is configured: table maps carry no column names. "+
			"Fix: set binlog_row_metadata=FULL (MySQL 8.0.1+, MariaDB 10.5+). "+
			"On Aurora MySQL: set binlog_row_metadata=FULL in the DB cluster parameter group", orNone(v))
	}
}

func orNone(v string) string {
	if v == "" {
		return "unset"
	}
	return v
}

// checkPrivileges checks REPLICATION SLAVE, the privilege to read the
// binlog status, and SELECT for information_schema lookups. It returns an
// error only when the checks themselves cannot run.
func (r *Reader) checkPrivileges(ctx context.Context, db *sql.DB, srv server, p *preflight) error {
	g, viaRoles, err := readGrants(ctx, db, srv.Flavor)
	if err != nil {
		return err
	}
	user := r.opts.User
	grantHint := func(priv string) string {
		return fmt.Sprintf("Fix: GRANT %s ON *.* TO '%s'@'%%' (as an administrator; on Aurora MySQL as the master user)", priv, user)
	}
	if !g.has("REPLICATION SLAVE", "REPLICATION REPLICA") {
		p.fail("user %q lacks REPLICATION SLAVE, needed to stream the binary log. %s", user, grantHint("REPLICATION SLAVE"))
	}
	// Reading the status is the real test: which privilege allows it
	// differs between MySQL, MariaDB releases and SUPER's meaning.
	statusPriv := "REPLICATION CLIENT"
	if srv.Flavor == change.MariaDB {
		statusPriv = "BINLOG MONITOR"
	}
	if _, err := binlogStatus(ctx, db, srv.Flavor); err != nil {
		if code, ok := serverErrorCode(err); ok && (code == gomysql.ER_SPECIFIC_ACCESS_DENIED_ERROR ||
			code == gomysql.ER_ACCESS_DENIED_ERROR || code == gomysql.ER_DBACCESS_DENIED_ERROR) {
			p.fail("user %q may not read the binary log status (%v). %s", user, err, grantHint(statusPriv))
		} else if !errors.As(err, new(*permanentError)) {
			return err
		}
	}
	switch {
	case g.has("SELECT"):
	case len(g.SelectSchemas) > 0:
		p.warn("user %q has SELECT only on %s: tables elsewhere cannot be described from information_schema", user, strings.Join(g.SelectSchemas, ", "))
	default:
		p.fail("user %q lacks SELECT, needed to describe tables from information_schema. %s", user, grantHint("SELECT"))
	}
	if viaRoles {
		p.warn("user %q holds some privileges through roles; they count only if the roles are default roles (SET DEFAULT ROLE)", user)
	}
	return nil
}

// readGrants reads the account's grants and those of its roles. viaRoles
// reports that roles were granted.
func readGrants(ctx context.Context, db *sql.DB, flavor string) (g grants, viaRoles bool, err error) {
	lines, err := queryStrings(ctx, db, "SHOW GRANTS")
	if err != nil {
		return g, false, fmt.Errorf("reading grants: %w", err)
	}
	for _, l := range lines {
		g.add(l)
	}
	roles := g.Roles
	if len(roles) == 0 {
		return g, false, nil
	}
	// A least-privileged user may show its own roles' grants only; a
	// failure leaves the grants as they are.
	var queries []string
	if flavor == change.MySQL {
		queries = []string{"SHOW GRANTS FOR CURRENT_USER() USING " + strings.Join(roles, ", ")}
	} else {
		for _, role := range roles {
			queries = append(queries, "SHOW GRANTS FOR "+role)
		}
	}
	for _, q := range queries {
		lines, err := queryStrings(ctx, db, q)
		if err != nil {
			continue
		}
		for _, l := range lines {
			g.add(l)
		}
	}
	return g, true, nil
}

// queryStrings returns the first column of every row of q.
func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
