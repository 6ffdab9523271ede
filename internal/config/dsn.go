package config

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
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
		port = DefaultPort
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

// parsedDSN is a DataSourceName split into the fields a Source resolves.
type parsedDSN struct {
	cfg  *mysql.Config
	host string
	port uint16
}

// parseDSN parses a DSN that must name a TCP address and a user. Its errors
// never quote the DSN, which holds the password.
func parseDSN(dsn string) (parsedDSN, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return parsedDSN{}, dsnError(err)
	}
	if cfg.Net != "tcp" {
		return parsedDSN{}, errors.New("network must be tcp(host:port)")
	}
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return parsedDSN{}, errors.New("address must be host:port")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return parsedDSN{}, errors.New("port must be between 1 and 65535")
	}
	if host == "" {
		return parsedDSN{}, errors.New("host is empty")
	}
	if cfg.User == "" {
		return parsedDSN{}, errors.New("user is missing")
	}
	return parsedDSN{cfg: cfg, host: host, port: uint16(port)}, nil
}

// dsnError keeps the driver's fixed messages and replaces the others, which
// may quote a part of the DSN that a misplaced separator cut from the
// password.
func dsnError(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "invalid DSN: "); ok {
		return errors.New(msg)
	}
	return errors.New("not a go-sql-driver/mysql DSN (user:password@tcp(host:port)/)")
}
