package source

import (
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/credential"
	"github.com/tributary-cdc/tributary/internal/dsn"
)

// connState is what the copies of one source's Options share for
// connecting: the password provider (which caches a secret) and the TLS
// configuration registered with the SQL driver.
type connState struct {
	creds *credential.Provider

	once sync.Once
	// tlsName and tlsConf are the registered configuration, or tlsErr why
	// it could not be built.
	tlsName string
	tlsConf *tls.Config
	tlsErr  error
}

func (s *Options) newConnState() *connState {
	return &connState{creds: credential.New(s.credentials())}
}

// credentials are the source's password settings.
func (s Options) credentials() credential.Settings {
	port := s.Port
	if port == 0 {
		port = dsn.DefaultPort
	}
	return credential.Settings{
		Label: s.label(), User: s.User, Host: s.Host, Port: port, Password: s.Password,
		PasswordFile: s.PasswordFile, PasswordSecret: s.PasswordSecret, IAMAuth: s.IAMAuth, Region: s.AWSRegion,
	}
}

// state returns the shared connection state, or a fresh one for options
// that EnsureDefaults did not see (no secret cache then).
func (s Options) state() *connState {
	if s.conn != nil {
		return s.conn
	}
	return s.newConnState()
}

// label names the source's connections in errors.
func (s Options) label() string {
	return fmt.Sprintf("source %q (%s)", s.Name, net.JoinHostPort(s.Host, strconv.Itoa(int(s.Port))))
}

// applyTLS sets cfg's TLS from the tls block, registering the source's
// configuration with the driver once.
func (s Options) applyTLS(cfg *mysql.Config) {
	st := s.state()
	st.once.Do(func() {
		c := mysql.NewConfig()
		c.Addr = cfg.Addr
		st.tlsErr = s.TLS.ApplyDriver(c, "source-"+s.Name, s.label())
		st.tlsName, st.tlsConf = c.TLSConfig, c.TLS
		if st.tlsErr == nil && s.TLS.Mode == "" {
			st.tlsName = "" // keep the DSN's own tls parameter
		}
	})
	switch {
	case st.tlsErr != nil:
		// Never plaintext by mistake: the driver refuses an unknown name.
		cfg.TLSConfig, cfg.TLS = "tributary-tls-configuration-failed", nil
	case st.tlsName != "":
		cfg.TLSConfig, cfg.TLS = st.tlsName, nil
		cfg.AllowFallbackToPlaintext = s.TLS.Mode == "preferred"
	}
	if st.tlsConf != nil {
		cfg.TLS = st.tlsConf.Clone()
	}
}

// Connector returns a go-sql-driver connector to database on the source
// with the session settings of DSN and the source's TLS, asking for the
// password at every new connection. The backfill, the lookups and the
// live checks connect through it.
func (s Options) Connector(database string) (driver.Connector, error) {
	return s.connector(s.driverConfig(database))
}

// connector returns a connector for cfg with the source's password.
func (s Options) connector(cfg *mysql.Config) (driver.Connector, error) {
	st := s.state()
	if st.tlsErr != nil {
		return nil, st.tlsErr
	}
	return st.creds.Connector(cfg)
}

// binlogAuth returns the password and TLS configuration of a new binlog
// connection.
func (s Options) binlogAuth(ctx context.Context) (string, *tls.Config, error) {
	st := s.state()
	pw, err := st.creds.Password(ctx)
	if err != nil {
		return "", nil, err
	}
	if s.TLS.Mode == "" && s.base != nil && s.base.TLS != nil {
		return pw, s.base.TLS.Clone(), nil // the DSN's tls parameter
	}
	tc, err := s.TLS.Build(s.label(), s.Host)
	return pw, tc, err
}

// plaintext reports whether a connection of db's pool is unencrypted:
// under tls mode preferred, a server without TLS.
func plaintext(ctx context.Context, db *sql.DB) (bool, error) {
	var name, cipher string
	if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		return false, fmt.Errorf("reading whether the connection uses TLS: %w", err)
	}
	return cipher == "", nil
}
