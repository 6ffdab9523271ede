package mysql

import (
	"database/sql/driver"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/internal/credential"
	"github.com/tributary-cdc/tributary/internal/dsn"
)

// label names the target's connections in errors.
func (o *Options) label() string { return fmt.Sprintf("mysql sink target %s", o.String()) }

// credentials are the target's password settings.
func (o *Options) credentials() credential.Settings {
	port := o.Port
	if port == 0 {
		port = dsn.DefaultPort
	}
	s := credential.Settings{
		Label: o.label(), User: o.User, Host: o.Host, Port: port,
		PasswordFile: o.PasswordFile, PasswordSecret: o.PasswordSecret, IAMAuth: o.IAMAuth, Region: o.AWSRegion,
	}
	if o.PasswordEnv != "" {
		s.Password = os.Getenv(o.PasswordEnv)
	}
	return s
}

// DriverConfig returns the driver configuration of the target: the DSN's
// with the tls block applied (registered with the driver under a name of
// its own).
func (o *Options) DriverConfig() (*mysql.Config, error) {
	cfg, err := dsn.ParseAny(o.DSN())
	if err != nil {
		return nil, fmt.Errorf("parsing the dsn of the %s: %w", o.label(), err)
	}
	if err := o.TLS.ApplyDriver(cfg, "sink-"+net.JoinHostPort(o.Host, strconv.Itoa(int(o.Port))), o.label()); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Connector returns a connector to the target for cfg (from DriverConfig,
// possibly adjusted) that asks for the password at every new connection.
func (o *Options) Connector(cfg *mysql.Config) (driver.Connector, error) {
	creds := o.credentials()
	if o.DataSourceName != "" {
		creds.Password = cfg.Passwd
	}
	return credential.New(creds).Connector(cfg)
}
