package source

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/dsn"
	"github.com/tributary-cdc/tributary/internal/problem"
)

// FlavorAuto detects the flavor from VERSION() when the reader connects.
const FlavorAuto = "auto"

// Check reports every problem of one source's settings to r, by their keys
// in the service configuration. What spans sources (unique names and
// server ids) the configuration checks.
func (s *Options) Check(r problem.Reporter) {
	if s.ServerID == 0 {
		r.At("server_id", "is required")
	}
	switch s.Flavor {
	case "", FlavorAuto, change.MySQL, change.MariaDB:
	default:
		r.At("flavor", fmt.Sprintf("must be one of %s, %s, %s", FlavorAuto, change.MySQL, change.MariaDB))
	}
	s.checkStart(r)
	switch s.Backfill {
	case "", BackfillNever, BackfillInitial:
	default:
		r.At("backfill", fmt.Sprintf("must be %s or %s", BackfillInitial, BackfillNever))
	}
	if n := s.BackfillChunkRows; n < 0 || n > MaxBackfillChunkRows {
		r.At("backfill_chunk_rows", fmt.Sprintf("must be between 1 and %d", MaxBackfillChunkRows))
	}
	s.checkBackfillPace(r)
	s.checkBackfillRead(r)
	s.checkConnection(r)
	s.TLS.Check(problem.Under(r, "tls"))
	s.credentials().Check(r, s.PasswordEnv, s.TLS.Secure())
}

// checkStart reports a start setting that is none of the known ones, or a
// GTID set that no flavor the source may have can parse.
func (s *Options) checkStart(r problem.Reporter) {
	switch {
	case s.Start == "", s.Start == StartCurrent, s.Start == StartEarliest:
	case strings.HasPrefix(s.Start, StartGTIDPrefix):
		set := strings.TrimPrefix(s.Start, StartGTIDPrefix)
		if strings.TrimSpace(set) == "" {
			r.At("start", "gtid: needs a GTID set, for example gtid:0-1-100 (MariaDB) or gtid:3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100 (MySQL)")
			return
		}
		flavors := []string{change.MySQL, change.MariaDB}
		if s.Flavor == change.MySQL || s.Flavor == change.MariaDB {
			flavors = []string{s.Flavor}
		}
		var errs []string
		for _, f := range flavors {
			_, err := ParseGTIDSet(f, set)
			if err == nil {
				return
			}
			errs = append(errs, err.Error())
		}
		r.At("start", "invalid GTID set: "+strings.Join(errs, "; "))
	default:
		r.At("start", fmt.Sprintf("must be %s, %s or %sSET (a GTID set)", StartCurrent, StartEarliest, StartGTIDPrefix))
	}
}

// EnsureDefaults fills Flavor and Port and resolves the connection fields.
// It is safe to call more than once.
// An invalid DataSourceName is left for Validate to report.
func (s *Options) EnsureDefaults() {
	if s.Flavor == "" {
		s.Flavor = FlavorAuto
	}
	if s.DataSourceName != "" && !s.fromDSN && !s.hasHostFields() {
		if d, err := dsn.Parse(s.DataSourceName); err == nil {
			s.Host, s.Port, s.User, s.Password = d.Host, d.Port, d.Config.User, d.Config.Passwd
			s.base, s.fromDSN = d.Config, true
		}
	}
	if s.Port == 0 && s.DataSourceName == "" {
		s.Port = dsn.DefaultPort
	}
	if s.PasswordEnv != "" && s.Password == "" {
		s.Password = os.Getenv(s.PasswordEnv)
	}
	if s.conn == nil {
		s.conn = s.newConnState()
	}
}

// hasHostFields reports whether any field that excludes DataSourceName is set.
func (s *Options) hasHostFields() bool {
	return s.Host != "" || s.Port != 0 || s.User != "" || s.PasswordEnv != "" ||
		s.PasswordFile != "" || s.PasswordSecret != "" || s.IAMAuth
}

// String describes the source without its password.
func (s Options) String() string {
	return fmt.Sprintf("%s (%s@%s)", s.Name, s.User, net.JoinHostPort(s.Host, strconv.Itoa(int(s.Port))))
}

// GoString describes the source for %#v without its password.
func (s Options) GoString() string {
	return fmt.Sprintf("source.Options{Name:%q, Host:%q, Port:%d, User:%q, PasswordEnv:%q, Flavor:%q, ServerID:%d, AllowPartialRowImage:%t, Start:%q, Backfill:%q}",
		s.Name, s.Host, s.Port, s.User, s.PasswordEnv, s.Flavor, s.ServerID, s.AllowPartialRowImage, s.Start, s.Backfill)
}

// LogValue logs the source's identity and address, never its password or DSN.
func (s Options) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("name", s.Name),
		slog.String("host", s.Host),
		slog.Int("port", int(s.Port)),
		slog.String("user", s.User),
		slog.String("flavor", s.Flavor),
		slog.Uint64("server_id", uint64(s.ServerID)),
	}
	if s.PasswordEnv != "" {
		attrs = append(attrs, slog.String("password_env", s.PasswordEnv))
	}
	if s.TLS.Enabled() {
		attrs = append(attrs, slog.String("tls", s.TLS.Mode))
	}
	switch {
	case s.PasswordFile != "":
		attrs = append(attrs, slog.String("password_file", s.PasswordFile))
	case s.PasswordSecret != "":
		attrs = append(attrs, slog.String("password_secret", s.PasswordSecret))
	case s.IAMAuth:
		attrs = append(attrs, slog.Bool("iam_auth", true))
	}
	return slog.GroupValue(attrs...)
}

// DSN returns a go-sql-driver/mysql DSN for database on this source with the
// session settings the pipeline relies on: no time parsing, interpolated
// parameters, UTC session time zone and location, utf8mb4. Parameters given
// in DataSourceName (tls, timeouts) are kept.
//
// The DSN holds the password of the moment and the name of the source's
// registered TLS configuration; use Connector for connections that must
// get a fresh password (password_file, password_secret, iam_auth).
func (s Options) DSN(database string) string {
	return s.driverConfig(database).FormatDSN()
}

// driverConfig is the driver configuration DSN describes, TLS included
// (an error building it is reported when connecting).
func (s Options) driverConfig(database string) *mysql.Config {
	cfg := mysql.NewConfig()
	if s.base != nil {
		cfg = s.base.Clone()
	}
	port := s.Port
	if port == 0 {
		port = dsn.DefaultPort
	}
	cfg.User, cfg.Passwd = s.User, s.Password
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(s.Host, strconv.Itoa(int(port)))
	cfg.DBName = database
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	cfg.Loc = time.UTC // the driver's default: FormatDSN writes loc only when it differs
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	_ = cfg.Apply(mysql.Charset("utf8mb4", "")) // Charset never fails
	s.applyTLS(cfg)
	return cfg
}

// checkConnection reports problems with how the source is reached: either
// a DSN alone or a host with its user.
func (s *Options) checkConnection(p problem.Reporter) {
	if s.DataSourceName != "" {
		if _, err := dsn.Parse(s.DataSourceName); err != nil {
			p.At("dsn", "invalid dsn: "+err.Error())
		}
		if !s.fromDSN {
			if s.Host != "" {
				p.At("host", "dsn and host are mutually exclusive")
			}
			others := []struct {
				field string
				set   bool
			}{{"port", s.Port != 0}, {"user", s.User != ""}, {"password_env", s.PasswordEnv != ""}}
			for _, o := range others {
				if o.set {
					p.At(o.field, "cannot be combined with dsn (set it inside the dsn)")
				}
			}
			for _, o := range []struct {
				field string
				set   bool
			}{{"password_file", s.PasswordFile != ""}, {"password_secret", s.PasswordSecret != ""}, {"iam_auth", s.IAMAuth}} {
				if o.set {
					p.At(o.field, "cannot be combined with dsn: give host, port and user instead")
				}
			}
		}
		return
	}
	if s.Host == "" {
		if !p.Rejected("dsn") && !p.Rejected("host") {
			p.At("", "either dsn or host is required")
		}
		return
	}
	if s.User == "" {
		p.At("user", "is required when host is set")
	}
	if s.PasswordEnv != "" && s.Password == "" {
		if _, set := os.LookupEnv(s.PasswordEnv); !set {
			p.At("password_env", fmt.Sprintf("environment variable %s is not set", s.PasswordEnv))
		}
	}
}

// checkBackfillPace reports backfill settings of chunk size, parallelism
// and throttling out of their bounds.
func (s *Options) checkBackfillPace(r problem.Reporter) {
	if n := s.BackfillChunkRowsMax; n < 0 || n > MaxBackfillChunkRows {
		r.At("backfill_chunk_rows_max", fmt.Sprintf("must be between 1 and %d", MaxBackfillChunkRows))
	} else if n > 0 && s.BackfillChunkRows > n {
		r.At("backfill_chunk_rows_max", fmt.Sprintf("must not be below backfill_chunk_rows (%d)", s.BackfillChunkRows))
	}
	if d := s.BackfillChunkTime; d < 0 || d > time.Minute || (d > 0 && d < 10*time.Millisecond) {
		r.At("backfill_chunk_time", "must be between 10ms and 1m")
	}
	if n := s.BackfillWorkers; n < 0 || n > MaxBackfillWorkers {
		r.At("backfill_workers", fmt.Sprintf("must be between 1 and %d", MaxBackfillWorkers))
	}
	if s.BackfillMaxRowsPerSecond < 0 {
		r.At("backfill_max_rows_per_second", "must be 0 (no cap) or more")
	}
	if s.BackfillMaxThreadsRunning < 0 {
		r.At("backfill_max_threads_running", "must be 0 (off) or more")
	}
	if d := s.HeartbeatInterval; d < 0 || d > time.Hour || (d > 0 && d < 100*time.Millisecond) {
		r.At("heartbeat_interval", "must be 0 (off) or between 100ms and 1h")
	}
}
