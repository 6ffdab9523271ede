// Package migrate applies and reports the target database's schema migrations.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"

	"github.com/pressly/goose/v3"

	"github.com/tributary-cdc/tributary/internal/mysqlerr"
)

// TableName is the goose version table, created in the database the
// connection's DSN names (the tables themselves are schema-qualified).
const TableName = "tributary_migrations"

// Up applies every pending migration of the migrations folder (goose SQL
// files named NNNNN_description.sql at its root) in version order. A nil logger
// discards the progress lines. Migrations hold DDL, which MySQL commits
// statement by statement, so a failure can leave one migration half applied.
func Up(ctx context.Context, db *sql.DB, migrations fs.FS, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p, err := newProvider(db, migrations)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		logger.InfoContext(ctx, "applied migration",
			"version", r.Source.Version, "name", path.Base(r.Source.Path), "duration", r.Duration)
	}
	if err != nil {
		// A migration's error may quote a row (a unique key added over
		// duplicates quotes the duplicate).
		return mysqlerr.Redact(fmt.Errorf("applying migrations: %w", err))
	}
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	logger.InfoContext(ctx, "target schema up to date", "version", version, "applied", len(results))
	return nil
}

// newProvider builds a goose provider over the migrations that
// records versions in TableName and takes no Go migrations from goose's
// global registry.
func newProvider(db *sql.DB, migrations fs.FS) (*goose.Provider, error) {
	store, err := newStore()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectCustom, db, migrations,
		goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	return p, nil
}
