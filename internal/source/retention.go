package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// minRetention is the binlog retention below which preflight warns.
const minRetention = 24 * time.Hour

const retentionFix = "Fix: keep binary logs for at least 24h, for example SET PERSIST binlog_expire_logs_seconds=604800 " +
	"(MariaDB: SET GLOBAL binlog_expire_logs_seconds=604800 and the same in the server configuration). " +
	"On Aurora MySQL: CALL mysql.rds_set_configuration('binlog retention hours', 168)"

// checkRetention warns when binary logs may be purged before a reader
// stopped for a day can resume. RDS and Aurora keep them for "binlog
// retention hours" in mysql.rds_configuration; other servers follow
// binlog_expire_logs_seconds or expire_logs_days (0 keeps them forever).
func checkRetention(ctx context.Context, db *sql.DB, vars map[string]string, p *preflight) error {
	hours, rds, err := rdsRetentionHours(ctx, db)
	_, serverErr := serverErrorCode(err)
	switch {
	case err != nil && !serverErr:
		return err
	case err != nil && vars["aurora_version"] != "":
		p.warn("cannot read binlog retention hours from mysql.rds_configuration (%v); check it is at least 24. %s", err, retentionFix)
		return nil
	case err != nil:
		// No such table (not RDS), or no privilege to see it: the
		// server's own settings tell.
	case rds && !hours.Valid:
		p.warn("binlog retention hours is NULL: Aurora and RDS purge binary logs as soon as they can, "+
			"so a stopped reader cannot resume. %s", retentionFix)
		return nil
	case rds && time.Duration(hours.Int64)*time.Hour < minRetention:
		p.warn("binlog retention hours is %d, less than 24: a reader stopped longer cannot resume. %s", hours.Int64, retentionFix)
		return nil
	case rds:
		return nil
	}
	retention, setting := serverRetention(vars)
	if retention > 0 && retention < minRetention {
		p.warn("binary logs are purged after %s (%s), less than 24h: a reader stopped longer cannot resume. %s",
			retention, setting, retentionFix)
	}
	return nil
}

// rdsRetentionHours reads 'binlog retention hours' from
// mysql.rds_configuration; rds is false when the table has no such row.
func rdsRetentionHours(ctx context.Context, db *sql.DB) (hours sql.NullInt64, rds bool, err error) {
	var v sql.NullString
	err = db.QueryRowContext(ctx, "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return hours, false, nil
	}
	if err != nil {
		return hours, false, fmt.Errorf("reading binlog retention hours: %w", err)
	}
	if !v.Valid {
		return hours, true, nil
	}
	n, err := strconv.ParseInt(v.String, 10, 64)
	if err != nil {
		return hours, true, fmt.Errorf("parsing binlog retention hours %q: %w", v.String, err)
	}
	return sql.NullInt64{Int64: n, Valid: true}, true, nil
}

// serverRetention returns how long the server keeps binary logs (0 for
// ever) and the setting that says so.
func serverRetention(vars map[string]string) (time.Duration, string) {
	if v, ok := vars["binlog_expire_logs_seconds"]; ok {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			return time.Duration(s) * time.Second, "binlog_expire_logs_seconds=" + v
		}
	}
	if v, ok := vars["expire_logs_days"]; ok {
		if d, err := strconv.ParseFloat(v, 64); err == nil && d > 0 {
			return time.Duration(d * float64(24*time.Hour)), "expire_logs_days=" + v
		}
	}
	return 0, ""
}
