package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+cfg.HTTP.Listen+"/backfill", bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return errNoService(cfg.HTTP.Listen, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the service's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("the service refused the backfill: %s", e.Error)
		}
		return fmt.Errorf("POST /backfill: %s", resp.Status)
	}
	var started []struct {
		Source, Table, Where string
		Key                  []string
	}
	if err := json.Unmarshal(data, &started); err != nil {
		return fmt.Errorf("decoding the service's answer: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTABLE\tKEY")
	for _, s := range started {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Source, s.Table, strings.Join(s.Key, ","))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "backfill started for %d table(s); follow it with tributary status\n", len(started))
	return nil
}
