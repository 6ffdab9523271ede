package admin

import (
	"context"
	"fmt"
	"io"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// CheckMappingsLive checks the mappings cfg names offline, then against
// the live schemas of its sources and of the target of its first mysql
// sink (target tables are not checked without one). It prints every
// problem to w and fails when any is an error; warnings alone pass.
func CheckMappingsLive(ctx context.Context, cfg *config.Config, w io.Writer) error {
	if len(cfg.Mappings) == 0 {
		return fmt.Errorf("the configuration names no mapping files")
	}
	set, err := replicator.LoadMappings(cfg)
	if err != nil {
		return err
	}
	problems, hasTarget, err := replicator.CheckLive(ctx, cfg, set)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
	if !hasTarget {
		fmt.Fprintln(w, "no sink of type mysql: target tables not checked")
	}
	if n := problems.Errors(); n > 0 {
		return found("found %s and %s against the live schemas", plural(n, "error", "errors"),
			plural(len(problems)-n, "warning", "warnings"))
	}
	fmt.Fprintf(w, "%s checked against the live schemas: ok", plural(len(set.Targets()), "target table", "target tables"))
	if len(problems) > 0 {
		fmt.Fprintf(w, " (%s)", plural(len(problems), "warning", "warnings"))
	}
	fmt.Fprintln(w)
	return nil
}
