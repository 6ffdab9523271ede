package credential

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// erAccessDenied is the server's error for a refused password.
const erAccessDenied = 1045

// Connector returns a go-sql-driver connector for cfg that asks p for the
// password of every new connection; when the server refuses it (error
// 1045) the provider is told and the connection is tried once more, so a
// rotated secret is read again. IAM tokens need cleartext authentication,
// which the connector enables (the stages require TLS with it).
func (p *Provider) Connector(cfg *mysql.Config) (driver.Connector, error) {
	cfg = cfg.Clone()
	if p.Dynamic() {
		if p.s.IAMAuth {
			cfg.AllowCleartextPasswords = true
		}
		err := cfg.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
			pw, err := p.Password(ctx)
			if err != nil {
				return err
			}
			c.Passwd = pw
			return nil
		}))
		if err != nil {
			return nil, fmt.Errorf("%s: configuring the connection: %w", p.s.Label, err)
		}
	} else {
		cfg.Passwd = p.s.Password
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: configuring the connection: %w", p.s.Label, err)
	}
	if p.s.PasswordSecret == "" {
		return c, nil
	}
	return retryRefused{Connector: c, p: p}, nil
}

// retryRefused connects again once after the server refused a cached
// secret.
type retryRefused struct {
	driver.Connector
	p *Provider
}

func (r retryRefused) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := r.Connector.Connect(ctx)
	if !AccessDenied(err) || !r.p.Refused() {
		return conn, err
	}
	return r.Connector.Connect(ctx)
}

// AccessDenied reports whether err is the server refusing the user's
// password (error 1045), from either MySQL client.
func AccessDenied(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == erAccessDenied
	}
	var ge *gomysql.MyError
	return errors.As(err, &ge) && ge.Code == erAccessDenied
}
