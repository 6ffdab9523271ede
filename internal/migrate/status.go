package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"path"
	"text/tabwriter"
	"time"

	"github.com/pressly/goose/v3"
)

// Status writes one line per known migration to w: its version, file name,
// and the UTC time it was applied or "pending".
func Status(ctx context.Context, db *sql.DB, migrations fs.FS, w io.Writer) error {
	p, err := newProvider(db, migrations)
	if err != nil {
		return err
	}
	list, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("reading migration status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED AT")
	for _, m := range list {
		applied := "pending"
		if m.State == goose.StateApplied {
			applied = m.AppliedAt.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Source.Version, path.Base(m.Source.Path), applied)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing migration status: %w", err)
	}
	return nil
}
