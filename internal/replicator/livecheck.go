package replicator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/livecheck"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/problem"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// CheckLive checks set against the live schemas of cfg's sources and of
// the target of its first mysql sink; hasTarget reports whether there was
// one (without it target tables are not checked).
func CheckLive(ctx context.Context, cfg *config.Config, set *mapping.Set) (problems problem.List, hasTarget bool, err error) {
	sources := make(map[string]*sql.DB, len(cfg.Sources))
	var target *sql.DB
	defer func() {
		for _, db := range sources {
			err = errors.Join(err, db.Close())
		}
		if target != nil {
			err = errors.Join(err, target.Close())
		}
	}()
	for _, s := range cfg.Sources {
		c, err := s.Connector("")
		if err != nil {
			return nil, false, fmt.Errorf("opening source %s: %w", s.Name, err)
		}
		sources[s.Name] = sql.OpenDB(c)
	}
	for i := range cfg.Sinks {
		if sink := &cfg.Sinks[i]; sink.Type == config.SinkMySQL {
			if target, err = openTarget(sink.MySQL); err != nil {
				return nil, false, fmt.Errorf("opening target of sink %s: %w", sink.Name, err)
			}
			break
		}
	}
	problems, err = livecheck.Check(ctx, set.Requirements(), sources, target)
	if err != nil {
		return nil, false, fmt.Errorf("checking mappings against live schemas: %w", err)
	}
	return problems, target != nil, nil
}

// openTarget opens a pool on a mysql sink's target, with its TLS and
// passwords.
func openTarget(o *mysqlsink.Options) (*sql.DB, error) {
	cfg, err := o.DriverConfig()
	if err != nil {
		return nil, err
	}
	c, err := o.Connector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}
