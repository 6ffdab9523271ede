package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// cluster is one server the workload writes to.
type cluster struct {
	// name is "accounts-<shard>" or "recipes", for logs and errors.
	name string
	db   *sql.DB
	// shard is the account shard's number from 1; 0 on the recipes cluster.
	shard int
	ops   ops
	// users is the highest user id seen on an account shard; recipes and
	// cooksnaps take their user_id below it.
	users atomic.Uint64
}

// openCluster connects to dsn with a pool of conns connections. Parameters
// are interpolated on the client, so each statement is one round trip.
func openCluster(ctx context.Context, name, dsn string, shard int, o ops, conns int) (*cluster, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing DSN of %s: %w", name, err)
	}
	cfg.InterpolateParams = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", name, err)
	}
	c := &cluster{name: name, db: sql.OpenDB(connector), shard: shard, ops: o}
	c.db.SetMaxOpenConns(conns)
	c.db.SetMaxIdleConns(conns)
	if err := c.db.PingContext(ctx); err != nil {
		_ = c.db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", name, err)
	}
	if shard > 0 {
		var hi uint64
		if err := c.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+tUsers).Scan(&hi); err != nil {
			_ = c.db.Close()
			return nil, fmt.Errorf("reading users of %s (is the schema there? make up creates it): %w", name, err)
		}
		c.users.Store(hi)
	}
	return c, nil
}

// sawUser raises the highest user id seen to id.
func (c *cluster) sawUser(id uint64) {
	for {
		cur := c.users.Load()
		if id <= cur || c.users.CompareAndSwap(cur, id) {
			return
		}
	}
}
