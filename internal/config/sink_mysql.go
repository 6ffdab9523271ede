package config

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/go-sql-driver/mysql"
)

// MySQL sink error policies.
const (
	// OnErrorHalt stops the pipeline on an operation the target refuses.
	OnErrorHalt = "halt"
	// OnErrorRecord records such an operation in the failed store and goes on.
	OnErrorRecord = "record"
)

// MaxSinkWorkers caps MySQLSink.Workers.
const MaxSinkWorkers = 256

// MySQLSink applies target operations to a MySQL or MariaDB database. It is
// reached either through DataSourceName or through Host, Port, User,
// PasswordEnv and Database.
type MySQLSink struct {
	// DataSourceName is a go-sql-driver/mysql DSN such as
	// user:pass@tcp(host:port)/db; it excludes Host, Port, User,
	// PasswordEnv and Database. It holds the password, so it is never printed.
	DataSourceName string `yaml:"dsn" json:"-"`
	// Host is the target address (without DataSourceName: required).
	Host string `yaml:"host"`
	// Port is the target port (default DefaultPort).
	Port uint16 `yaml:"port"`
	// User is the target user (required when Host is set).
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password
	// (optional; an empty password when unset).
	PasswordEnv string `yaml:"password_env"`
	// Database is the default database of the connections (optional:
	// target tables are schema-qualified).
	Database string `yaml:"database"`
	// Workers is the number of parallel appliers (default 4, at most
	// MaxSinkWorkers).
	Workers uint16 `yaml:"workers"`
	// RowsPerStatement caps the rows of one multi-row statement (default 500).
	RowsPerStatement uint32 `yaml:"rows_per_statement"`
	// StatementsPerTxn caps the statements of one target transaction
	// (default 20).
	StatementsPerTxn uint32 `yaml:"statements_per_txn"`
	// OnError is OnErrorHalt (default) or OnErrorRecord.
	OnError string `yaml:"on_error"`
	// OnConflict is what an upsert that collides with another row on a
	// secondary unique key does: "replace" (default) deletes the other row,
	// which is what a replay after a crash needs; "fail" makes it a
	// permanent error handled by OnError.
	OnConflict string `yaml:"on_conflict"`
}

// DSN returns the go-sql-driver DSN of the target: DataSourceName as given,
// or one built from the host fields with the password read from
// PasswordEnv now.
func (m *MySQLSink) DSN() string {
	if m.DataSourceName != "" {
		return m.DataSourceName
	}
	cfg := mysql.NewConfig()
	port := m.Port
	if port == 0 {
		port = DefaultPort
	}
	cfg.User, cfg.Net = m.User, "tcp"
	cfg.Addr = net.JoinHostPort(m.Host, strconv.Itoa(int(port)))
	cfg.DBName = m.Database
	if m.PasswordEnv != "" {
		cfg.Passwd = os.Getenv(m.PasswordEnv)
	}
	return cfg.FormatDSN()
}

// String describes the target without its password.
func (m MySQLSink) String() string {
	if m.DataSourceName != "" {
		if d, err := parseDSN(m.DataSourceName); err == nil {
			return fmt.Sprintf("%s@%s", d.cfg.User, net.JoinHostPort(d.host, strconv.Itoa(int(d.port))))
		}
		return "(invalid dsn)"
	}
	return fmt.Sprintf("%s@%s", m.User, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
}

// GoString describes the target for %#v without its password.
func (m MySQLSink) GoString() string {
	return fmt.Sprintf("config.MySQLSink{Target:%q, PasswordEnv:%q, Database:%q, Workers:%d, RowsPerStatement:%d, StatementsPerTxn:%d, OnError:%q}",
		m.String(), m.PasswordEnv, m.Database, m.Workers, m.RowsPerStatement, m.StatementsPerTxn, m.OnError)
}

// check reports the problems of the block at key.
func (m *MySQLSink) check(key string, p *collector) {
	if m.DataSourceName != "" {
		if _, err := parseDSN(m.DataSourceName); err != nil {
			p.at(key+".dsn", "invalid dsn: "+err.Error())
		}
		others := []struct {
			field string
			set   bool
		}{{"host", m.Host != ""}, {"port", m.Port != 0}, {"user", m.User != ""},
			{"password_env", m.PasswordEnv != ""}, {"database", m.Database != ""}}
		for _, o := range others {
			if o.set {
				p.at(key+"."+o.field, "cannot be combined with dsn (set it inside the dsn)")
			}
		}
	} else {
		switch {
		case m.Host == "":
			p.at(key, "either dsn or host is required")
		case m.User == "":
			p.at(key+".host", "user is required when host is set")
		}
		if m.PasswordEnv != "" {
			if _, set := os.LookupEnv(m.PasswordEnv); !set {
				p.at(key+".password_env", fmt.Sprintf("environment variable %s is not set", m.PasswordEnv))
			}
		}
	}
	if m.Workers > MaxSinkWorkers {
		p.at(key+".workers", fmt.Sprintf("must be between 1 and %d", MaxSinkWorkers))
	}
	switch m.OnError {
	case "", OnErrorHalt, OnErrorRecord:
	default:
		p.at(key+".on_error", fmt.Sprintf("must be %s or %s", OnErrorHalt, OnErrorRecord))
	}
	switch m.OnConflict {
	case "", "replace", "fail":
	default:
		p.at(key+".on_conflict", "must be replace or fail")
	}
}
