package config

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/go-sql-driver/mysql"
	"github.com/tributary-cdc/tributary/internal/dsn"
)

// Flavor is the server family of a source.
type Flavor string

// The source flavors.
const (
	// FlavorAuto detects the flavor when the reader connects.
	FlavorAuto Flavor = "auto"
	// FlavorMySQL is MySQL or Aurora MySQL.
	FlavorMySQL Flavor = "mysql"
	// FlavorMariaDB is MariaDB.
	FlavorMariaDB Flavor = "mariadb"
)

// Source is one cluster whose binlog is read. It is reached either through
// DataSourceName or through Host, Port, User and PasswordEnv; after
// EnsureDefaults, Host, Port, User and Password hold the resolved values
// in both cases.
type Source struct {
	// Name identifies the source in positions, metrics and logs (required,
	// unique, [a-z0-9][a-z0-9_-]*).
	Name string `yaml:"name"`
	// DataSourceName is a go-sql-driver/mysql DSN such as
	// user:pass@tcp(host:port)/; it excludes Host, Port, User and
	// PasswordEnv. It holds the password, so it is never printed.
	DataSourceName string `yaml:"dsn" json:"-"`
	// Host is the server address (without DataSourceName: required).
	Host string `yaml:"host"`
	// Port is the server port (default dsn.DefaultPort).
	Port uint16 `yaml:"port"`
	// User is the replication user (required when Host is set).
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password
	// (optional; an empty password when unset).
	PasswordEnv string `yaml:"password_env"`
	// Flavor is auto, mysql or mariadb (default auto: detected on connect).
	Flavor Flavor `yaml:"flavor"`
	// ServerID is the replica server id the reader registers with
	// (required, unique across sources).
	ServerID uint32 `yaml:"server_id"`
	// AllowPartialRowImage accepts binlog_row_image MINIMAL or NOBLOB,
	// which the reader refuses by default.
	AllowPartialRowImage bool `yaml:"allow_partial_row_image"`

	// Password is resolved from DataSourceName or PasswordEnv; it never
	// comes from the file directly and is never printed.
	Password string `yaml:"-" json:"-"`

	// base keeps the parameters of DataSourceName (tls, timeouts) for DSN.
	base *mysql.Config
	// fromDSN records that Host, Port, User and Password were resolved
	// from DataSourceName rather than set beside it.
	fromDSN bool
}

// ensureDefaults fills Flavor and Port and resolves the connection fields.
// An invalid DataSourceName is left for Validate to report.
func (s *Source) ensureDefaults() {
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
}

// hasHostFields reports whether any field that excludes DataSourceName is set.
func (s *Source) hasHostFields() bool {
	return s.Host != "" || s.Port != 0 || s.User != "" || s.PasswordEnv != ""
}

// String describes the source without its password.
func (s Source) String() string {
	return fmt.Sprintf("%s (%s@%s)", s.Name, s.User, net.JoinHostPort(s.Host, strconv.Itoa(int(s.Port))))
}

// GoString describes the source for %#v without its password.
func (s Source) GoString() string {
	return fmt.Sprintf("config.Source{Name:%q, Host:%q, Port:%d, User:%q, PasswordEnv:%q, Flavor:%q, ServerID:%d, AllowPartialRowImage:%t}",
		s.Name, s.Host, s.Port, s.User, s.PasswordEnv, s.Flavor, s.ServerID, s.AllowPartialRowImage)
}

// LogValue logs the source's identity and address, never its password or DSN.
func (s Source) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("name", s.Name),
		slog.String("host", s.Host),
		slog.Int("port", int(s.Port)),
		slog.String("user", s.User),
		slog.String("flavor", string(s.Flavor)),
		slog.Uint64("server_id", uint64(s.ServerID)),
	}
	if s.PasswordEnv != "" {
		attrs = append(attrs, slog.String("password_env", s.PasswordEnv))
	}
	return slog.GroupValue(attrs...)
}
