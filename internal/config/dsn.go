package config

import (
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/tributary-cdc/tributary/internal/dsn"
)

// DSN returns a go-sql-driver/mysql DSN for database on this source with the
// session settings the pipeline relies on: no time parsing, interpolated
// parameters, UTC session time zone and location, utf8mb4. Parameters given
// in DataSourceName (tls, timeouts) are kept.
func (s Source) DSN(database string) string {
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
	return cfg.FormatDSN()
}
