package admin

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/migrate"
)

// Migrate applies the target migrations, or with status prints their
// state, on the database of the first mysql sink.
func Migrate(ctx context.Context, cfg *config.Config, status bool, logger *slog.Logger, w io.Writer) error {
	var target *config.Sink
	for i := range cfg.Sinks {
		if cfg.Sinks[i].Type == config.SinkMySQL {
			target = &cfg.Sinks[i]
			break
		}
	}
	if target == nil {
		return fmt.Errorf("no sink of type mysql in the configuration: nothing to migrate")
	}
	db, err := sql.Open("mysql", target.MySQL.DSN())
	if err != nil {
		return fmt.Errorf("opening target of sink %s: %w", target.Name, err)
	}
	defer db.Close()
	if status {
		return migrate.Status(ctx, db, w)
	}
	if err := migrate.Up(ctx, db, logger); err != nil {
		return fmt.Errorf("migrating target of sink %s: %w", target.Name, err)
	}
	return nil
}
