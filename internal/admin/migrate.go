package admin

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/migrate"
)

// Migrate applies the target migrations of the folder cfg.Migrations
// names, or with status prints their state, on the database of the first
// mysql sink. Tributary has no tables of its own to create there.
func Migrate(ctx context.Context, cfg *config.Config, status bool, logger *slog.Logger, w io.Writer) error {
	if cfg.Migrations == "" {
		return errors.New("the configuration names no migrations folder (migrations: PATH, goose SQL files): " +
			"tributary migrate applies the target's migrations from there, and creates no tables of its own")
	}
	migrations := os.DirFS(cfg.Migrations)
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
	dcfg, err := target.MySQL.DriverConfig()
	var db *sql.DB
	if err == nil {
		var c driver.Connector
		if c, err = target.MySQL.Connector(dcfg); err == nil {
			db = sql.OpenDB(c)
		}
	}
	if err != nil {
		return fmt.Errorf("opening target of sink %s: %w", target.Name, err)
	}
	defer db.Close()
	if status {
		return migrate.Status(ctx, db, migrations, w)
	}
	if err := migrate.Up(ctx, db, migrations, logger); err != nil {
		return fmt.Errorf("migrating target of sink %s: %w", target.Name, err)
	}
	return nil
}
