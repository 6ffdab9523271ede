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

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/httpapi"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// ReplayOptions name the window Replay asks for.
type ReplayOptions struct {
	Source, From, To string
	// Mappings restricts the tables to those feeding these mappings.
	Mappings []string
	// Sinks names the sinks to replay into; the others are left alone.
	Sinks  []string
	DryRun bool
}

// Replay asks the running service to replay a window of a source's
// binlog into some sinks (replicator.Replayer says how) and prints what
// it did, once it is done. The service owns the sinks and the stream the
// rows are merged into, so a replay needs it running.
func Replay(ctx context.Context, cfg *config.Config, opts ReplayOptions, w io.Writer) error {
	if cfg.HTTP.Listen == "" {
		return errors.New("http.listen is empty: tributary replay asks the running service through its HTTP " +
			"endpoint; set http.listen (a loopback or private address) and restart the service")
	}
	req := httpapi.ReplayRequest{Source: opts.Source, From: opts.From, To: opts.To, Sinks: opts.Sinks, DryRun: opts.DryRun}
	for _, m := range opts.Mappings {
		if _, err := os.Stat(m); err == nil {
			if abs, err := filepath.Abs(m); err == nil {
				m = abs
			}
		}
		req.Mappings = append(req.Mappings, m)
	}
	what := "replaying"
	if opts.DryRun {
		what = "dry run of a replay, writing nothing:"
	}
	mappings := "every mapping"
	if len(req.Mappings) > 0 {
		mappings = strings.Join(req.Mappings, ", ")
	}
	fmt.Fprintf(w, "%s source %s from %s to %s into sink(s) %s through %s\n", what, opts.Source, opts.From, opts.To,
		strings.Join(opts.Sinks, ", "), mappings)
	res, err := postReplay(ctx, endpointOf(cfg), req)
	if err != nil {
		return err
	}
	printReplay(w, res)
	return nil
}

// postReplay sends the request and waits for the service's answer, for
// as long as the replay takes; the end of ctx stops the replay.
func postReplay(ctx context.Context, ep endpoint, req httpapi.ReplayRequest) (*replicator.ReplayResult, error) {
	var res replicator.ReplayResult
	if err := askWork(ctx, ep, 0, "replay", "/replay", req, &res, errNoReplayService); err != nil {
		return nil, err
	}
	return &res, nil
}

// errNoReplayService is the answer when no service listens.
func errNoReplayService(addr string, err error) error {
	return fmt.Errorf("no running tributary answers at %s (%w). A replay runs inside the service, which "+
		"owns the sinks and merges the rows into the stream it is reading: start the service (tributary run) "+
		"and run this command again", addr, err)
}

// printReplay prints the resolved window and the counts per table.
func printReplay(w io.Writer, res *replicator.ReplayResult) {
	fmt.Fprintf(w, "window: %s to %s, %d transaction(s), read in %.1fs\n", res.From, res.To, res.Txns, res.ReadSeconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if res.DryRun {
		fmt.Fprintln(tw, "TABLE\tCHANGES\tKEYS")
	} else {
		fmt.Fprintln(tw, "TABLE\tCHANGES\tKEYS\tREAD\tDELETED\tLEFT TO STREAM")
	}
	changes, keys := 0, 0
	for _, t := range res.Tables {
		changes += t.Changes
		keys += t.Keys
		if res.DryRun {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", t.Table, t.Changes, t.Keys)
		} else {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", t.Table, t.Changes, t.Keys, t.Read, t.Deleted, t.Left)
		}
	}
	_ = tw.Flush()
	if res.DryRun {
		fmt.Fprintf(w, "would bring %d row(s) touched by %d change(s) up to date in sink(s) %s; nothing written\n",
			keys, changes, strings.Join(res.Sinks, ", "))
		return
	}
	fmt.Fprintf(w, "replayed %d row(s) touched by %d change(s) into sink(s) %s in %.1fs; the checkpoint was not moved\n",
		keys, changes, strings.Join(res.Sinks, ", "), res.ApplySeconds)
}
