package admin

import (
	"fmt"
	"io"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
)

// CheckMappings validates files, or the mappings cfg names when files is
// empty; cfg may be nil when files are given.
func CheckMappings(cfg *config.Config, files []string, w io.Writer) error {
	var names []string
	if cfg != nil {
		names = cfg.SourceNames()
		if len(files) == 0 {
			files = cfg.Mappings
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no mapping files given and the configuration names none")
	}
	set, err := mapping.Load(files, names)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s mapped: ok\n", plural(len(set.Targets()), "target table", "target tables"))
	return nil
}
