package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
)

// BackfillOptions select what Backfill asks for.
type BackfillOptions struct {
	// Sources names the sources; empty means every source.
	Sources []string
	// Mappings restricts the tables to those feeding these mappings: a
	// mapping file's path or a target table ("schema.table").
	Mappings []string
	// Where is an SQL predicate that restricts the rows copied.
	Where string
	// Follow draws the progress of the tables started, polling /status,
	// until every one is done; the end of the context stops following,
	// not the backfill.
	Follow bool
	// TTY says that the output is a terminal: the bars are redrawn in
	// place, and polled more often.
	TTY bool
}

// errNoService is the answer when no service listens: the backfill is
// the running service's work, since it merges the rows into its stream.
func errNoService(addr string, err error) error {
	return fmt.Errorf("no running tributary answers at %s (%w). A backfill runs inside the service, which merges "+
		"the rows it copies into the stream it is reading: start the service (tributary run) and run this command "+
		"again, or set backfill: initial on a source to copy its tables when it first starts", addr, err)
}

// Backfill asks the running service to backfill the tables opts selects
// and prints what it started. The service checks every table first and
// starts nothing unless all can be copied.
func Backfill(ctx context.Context, cfg *config.Config, opts BackfillOptions, w io.Writer) error {
	if err := backfill.CheckWhere(opts.Where); err != nil {
		return err
	}
	if cfg.HTTP.Listen == "" {
		return errors.New("http.listen is empty: tributary backfill asks the running service through its HTTP " +
			"endpoint; set http.listen (a loopback or private address) and restart the service")
	}
	req := httpapi.BackfillRequest{Sources: opts.Sources, Where: opts.Where}
	for _, m := range opts.Mappings {
		// A file is sent by its absolute path: the service may run in
		// another directory.
		if _, err := os.Stat(m); err == nil {
			if abs, err := filepath.Abs(m); err == nil {
				m = abs
			}
		}
		req.Mappings = append(req.Mappings, m)
	}
	started, err := postBackfill(ctx, endpointOf(cfg), req)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTABLE\tKEY\tESTIMATED ROWS")
	tables := make([]tableRef, 0, len(started))
	for _, s := range started {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Source, s.Table, strings.Join(s.Key, ","), estimateText(s.Estimate))
		tables = append(tables, tableRef{Source: s.Source, Table: s.Table})
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "backfill started for %d table(s)", len(started))
	if !opts.Follow {
		fmt.Fprintln(w, "; follow it with tributary status")
		return nil
	}
	fmt.Fprintln(w)
	every := followEvery
	if !opts.TTY {
		every = followEveryPlain
	}
	return followBackfill(ctx, endpointOf(cfg), tables, w, opts.TTY, every)
}

// startedTable is one table the service started, as POST /backfill
// answers.
type startedTable struct {
	Source, Table, Where string
	Key                  []string
	Estimate             uint64
}

// postBackfill sends the request to the service and returns the tables
// it started.
func postBackfill(ctx context.Context, ep endpoint, req httpapi.BackfillRequest) ([]startedTable, error) {
	var started []startedTable
	err := askWork(ctx, ep, 5*time.Minute, "backfill", "/backfill", req, &started, errNoService)
	return started, err
}

// estimateText shows an estimate, "-" when unknown.
func estimateText(n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
