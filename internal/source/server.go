package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// server is what the reader knows about the source server it talks to.
type server struct {
	Flavor  string
	Version string
	// ID and UUID identify the server (UUID is empty on MariaDB).
	ID   uint32
	UUID string
}

// openDB opens a small connection pool to the source for metadata queries;
// the caller closes it. It connects as every other connection to the
// source does (driverConfig): with the DSN's parameters, its tls one
// included, or the tls block; a DSN's own timeouts win.
func (r *Reader) openDB() (*sql.DB, error) {
	c := r.opts.driverConfig("")
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 60 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	c.Logger = mysqlerr.DriverLogger(r.log)
	connector, err := r.opts.connector(c)
	if err != nil {
		return nil, fmt.Errorf("configuring connection to %s: %w", c.Addr, err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// identify reads the server's flavor, version and identity, and checks the
// flavor against Options.Flavor.
func (r *Reader) identify(ctx context.Context, db *sql.DB) (server, error) {
	var s server
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@server_id").Scan(&s.Version, &s.ID); err != nil {
		return s, fmt.Errorf("reading server version: %w", err)
	}
	s.Flavor = change.MySQL
	if strings.Contains(strings.ToLower(s.Version), "mariadb") {
		s.Flavor = change.MariaDB
	}
	if r.opts.Flavor != "" && r.opts.Flavor != s.Flavor {
		return s, permanent(fmt.Errorf("source is configured as %s but the server is %s (version %s)", r.opts.Flavor, s.Flavor, s.Version))
	}
	if s.Flavor == change.MySQL {
		if err := db.QueryRowContext(ctx, "SELECT @@server_uuid").Scan(&s.UUID); err != nil {
			return s, fmt.Errorf("reading server uuid: %w", err)
		}
	}
	return s, nil
}

// CurrentPosition reads the source's current binlog position: file and
// offset, the GTID set where the server has GTIDs, and the server identity.
// MariaDB gives the GTID position of that very file/offset (falling back
// to @@gtid_binlog_pos); MySQL gives Executed_Gtid_Set from SHOW BINARY LOG
// STATUS (8.2 and later) or SHOW MASTER STATUS.
func (r *Reader) CurrentPosition(ctx context.Context) (pos change.Position, err error) {
	err = r.onServer(ctx, func(db *sql.DB, srv server) error {
		pos, err = currentPosition(ctx, db, srv)
		return err
	})
	return pos, err
}

// onServer runs fn on a metadata connection to the source, with the
// server's identity; the connection is closed afterwards.
func (r *Reader) onServer(ctx context.Context, fn func(db *sql.DB, srv server) error) error {
	db, err := r.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := r.identify(ctx, db)
	if err != nil {
		return err
	}
	return fn(db, srv)
}

func currentPosition(ctx context.Context, db *sql.DB, srv server) (change.Position, error) {
	p := change.Position{Flavor: srv.Flavor, ServerID: srv.ID, ServerUUID: srv.UUID}
	status, err := binlogStatus(ctx, db, srv.Flavor)
	if err != nil {
		return p, err
	}
	p.File = status["File"]
	pos, err := strconv.ParseUint(status["Position"], 10, 32)
	if err != nil {
		return p, fmt.Errorf("parsing binlog position %q: %w", status["Position"], err)
	}
	p.Pos = uint32(pos)
	if srv.Flavor == change.MySQL {
		p.GTIDSet = strings.ReplaceAll(status["Executed_Gtid_Set"], "\n", "")
		return p, nil
	}
	gtid, known, err := binlogGTIDPos(ctx, db, p.File, p.Pos)
	if err != nil {
		return p, err
	}
	if !known {
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&gtid); err != nil {
			return p, fmt.Errorf("reading gtid_binlog_pos: %w", err)
		}
	}
	p.GTIDSet = gtid
	return p, nil
}

// binlogStatus runs SHOW BINARY LOG STATUS (MySQL 8.2+) or SHOW MASTER
// STATUS and returns its single row by column name.
func binlogStatus(ctx context.Context, db *sql.DB, flavor string) (map[string]string, error) {
	queries := []string{"SHOW MASTER STATUS"}
	if flavor == change.MySQL {
		queries = []string{"SHOW BINARY LOG STATUS", "SHOW MASTER STATUS"}
	}
	var err error
	for _, q := range queries {
		var row map[string]string
		row, err = queryRow(ctx, db, q)
		if code, ok := serverErrorCode(err); ok && code == gomysql.ER_PARSE_ERROR {
			continue // syntax unknown to this version: try the older one
		}
		if err != nil {
			return nil, fmt.Errorf("reading binlog status: %w", err)
		}
		if row == nil {
			return nil, permanent(errors.New("reading binlog status: no binary log (is log_bin enabled?)"))
		}
		return row, nil
	}
	return nil, fmt.Errorf("reading binlog status: %w", err)
}

// binlogGTIDPos asks MariaDB for the GTID position at file/pos; known is
// false when the server cannot tell (NULL, or the function failed).
func binlogGTIDPos(ctx context.Context, db *sql.DB, file string, pos uint32) (gtid string, known bool, err error) {
	var v sql.NullString
	err = db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", file, pos).Scan(&v)
	if _, isServer := serverErrorCode(err); isServer {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading GTID position of %s:%d: %w", file, pos, err)
	}
	return v.String, v.Valid, nil
}

// queryRow runs q and returns its first row by column name, nil without
// rows. NULLs read as "".
func queryRow(ctx context.Context, db *sql.DB, q string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(cols))
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, rows.Err()
}

// variables reads global variables by name; missing ones are absent from
// the map.
func variables(ctx context.Context, db *sql.DB, names ...string) (map[string]string, error) {
	q := "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('" + strings.Join(names, "','") + "')"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading server variables: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string, len(names))
	for rows.Next() {
		var name, value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("reading server variables: %w", err)
		}
		out[strings.ToLower(name.String)] = value.String
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading server variables: %w", err)
	}
	return out, nil
}
