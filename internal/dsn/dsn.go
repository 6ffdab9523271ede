// Package dsn owns the parsing of go-sql-driver/mysql DSNs that name a
// server by TCP address and user, without ever quoting the password in an
// error.
package dsn

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DefaultPort is the MySQL port used when a setting names none.
const DefaultPort = 3306

// Parsed is a DSN split into the fields a setting resolves.
type Parsed struct {
	// Config is the driver's view of the DSN, parameters (tls, timeouts)
	// included.
	Config *mysql.Config
	Host   string
	Port   uint16
}

// Parse parses a DSN that must name a TCP address and a user. Its errors
// never quote the DSN, which holds the password.
func Parse(dsn string) (Parsed, error) {
	cfg, err := ParseAny(dsn)
	if err != nil {
		return Parsed{}, err
	}
	if cfg.Net != "tcp" {
		return Parsed{}, errors.New("network must be tcp(host:port)")
	}
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return Parsed{}, errors.New("address must be host:port")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return Parsed{}, errors.New("port must be between 1 and 65535")
	}
	if host == "" {
		return Parsed{}, errors.New("host is empty")
	}
	if cfg.User == "" {
		return Parsed{}, errors.New("user is missing")
	}
	return Parsed{Config: cfg, Host: host, Port: uint16(port)}, nil
}

// ParseAny parses any DSN the driver accepts. Its errors never quote the
// DSN.
func ParseAny(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, driverError(err)
	}
	return cfg, nil
}

// Describe returns user@host:port of a DSN, never its password, or
// "(invalid dsn)".
func Describe(dsn string) string {
	p, err := Parse(dsn)
	if err != nil {
		return "(invalid dsn)"
	}
	return p.Config.User + "@" + net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))
}

// driverError keeps the driver's fixed messages and replaces the others,
// which may quote a part of the DSN that a misplaced separator cut from the
// password.
func driverError(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "invalid DSN: "); ok {
		return errors.New(msg)
	}
	return errors.New("not a go-sql-driver/mysql DSN (user:password@tcp(host:port)/)")
}

// Build returns the DSN of database on host:port (DefaultPort when 0) for
// user, with the password read from the environment variable passwordEnv
// now (none when it is empty).
func Build(host string, port uint16, user, passwordEnv, database string) string {
	cfg := mysql.NewConfig()
	if port == 0 {
		port = DefaultPort
	}
	cfg.User, cfg.Net = user, "tcp"
	cfg.Addr = net.JoinHostPort(host, strconv.Itoa(int(port)))
	cfg.DBName = database
	if passwordEnv != "" {
		cfg.Passwd = os.Getenv(passwordEnv)
	}
	return cfg.FormatDSN()
}

// ReadSession returns d with the session settings rows are read with to
// compare them with what the binlog decoder gives: text results (no
// time.Time parsing), UTC so TIMESTAMPs read alike, utf8mb4 so text
// arrives as UTF-8, one statement at a time, and parameters interpolated
// by the client, which saves a prepare round trip per query.
func ReadSession(d string) (string, error) {
	cfg, err := ParseAny(d)
	if err != nil {
		return "", err
	}
	cfg.InterpolateParams = true
	cfg.ParseTime = false
	cfg.MultiStatements = false
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return "", fmt.Errorf("setting the character set: %w", err)
	}
	return cfg.FormatDSN(), nil
}
