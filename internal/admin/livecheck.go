package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/livecheck"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// CheckMappingsLive checks the mappings cfg names offline, then against
// the live schemas of its sources and of the target of its first mysql
// sink (target tables are not checked without one). It prints every
// problem to w and fails when any is an error; warnings alone pass.
func CheckMappingsLive(ctx context.Context, cfg *config.Config, w io.Writer) (err error) {
	if len(cfg.Mappings) == 0 {
		return fmt.Errorf("the configuration names no mapping files")
	}
	set, err := replicator.LoadMappings(cfg)
	if err != nil {
		return err
	}
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
		db, err := sql.Open("mysql", s.DSN(""))
		if err != nil {
			return fmt.Errorf("opening source %s: %w", s.Name, err)
		}
		sources[s.Name] = db
	}
	for i := range cfg.Sinks {
		if sink := &cfg.Sinks[i]; sink.Type == config.SinkMySQL {
			if target, err = sql.Open("mysql", sink.MySQL.DSN()); err != nil {
				return fmt.Errorf("opening target of sink %s: %w", sink.Name, err)
			}
			break
		}
	}
	problems, err := livecheck.Check(ctx, set.Requirements(), sources, target)
	if err != nil {
		return fmt.Errorf("checking mappings against live schemas: %w", err)
	}
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
	if target == nil {
		fmt.Fprintln(w, "no sink of type mysql: target tables not checked")
	}
	if n := problems.Errors(); n > 0 {
		return fmt.Errorf("%d of %d problems found against live schemas are errors: %w", n, len(problems), ErrFound)
	}
	fmt.Fprintf(w, "%d target tables checked against live schemas: ok", len(set.Targets()))
	if len(problems) > 0 {
		fmt.Fprintf(w, " (%d warnings)", len(problems))
	}
	fmt.Fprintln(w)
	return nil
}
