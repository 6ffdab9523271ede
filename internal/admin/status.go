package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/source"
)

// StatusOptions select what PrintStatus does.
type StatusOptions struct {
	// Wait polls until every source has caught up.
	Wait bool
	// Timeout bounds Wait.
	Timeout time.Duration
	// Gates, by source, are GTID sets to wait for instead of the current
	// positions: the cutover gate. Only the sources named are shown and
	// waited for; each is there once its checkpoint, which every sink has
	// made durable, contains its set.
	Gates map[string]string
}

// ErrFound marks the errors of a check that ran and found what it looks
// for: problems, differences, sources behind (errors.Is). Commands exit 1
// on them and 2 on any other error.
var ErrFound = errors.New("found")

// errNotCaughtUp is returned by PrintStatus --wait on timeout.
var errNotCaughtUp = found("not every source has caught up")

// finding is an error of a check that found what it looks for: it is
// ErrFound, and its text is its message alone.
type finding struct{ msg string }

func (f *finding) Error() string        { return f.msg }
func (f *finding) Is(target error) bool { return target == ErrFound }

// found returns a finding with the formatted message.
func found(format string, args ...any) error {
	return &finding{fmt.Sprintf(format, args...)}
}

// plural returns n and the word for n things: "1 table", "2 tables".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// lag is one source's checkpoint against its current position.
type lag struct {
	Source     string
	Checkpoint change.Position
	Current    change.Position
	// CaughtUp is set once the checkpoint has reached the current
	// position and no backfill of the source is under way.
	CaughtUp bool
	Backfill []backfill.TableStatus
	// Err says why the current position could not be read: the source
	// is shown, not caught up, beside the others.
	Err error
}

// PrintStatus prints, per source, the checkpoint, the current position and
// whether the checkpoint has reached it.
func PrintStatus(ctx context.Context, cfg *config.Config, opts StatusOptions, logger *slog.Logger, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, max(opts.Timeout, time.Second))
	defer cancel()
	readers := replicator.NewReaders(cfg, nil, nil, logger)
	// Waiting, each source's position is read once and waited for: a
	// source that keeps being written (a heartbeat every second) would
	// otherwise always be a little ahead of its checkpoint.
	var fixed map[string]change.Position
	if opts.Wait {
		fixed = map[string]change.Position{}
	}
	for {
		lags, err := lags(ctx, cfg, readers, opts.Gates, fixed)
		if err != nil {
			// While waiting, a service that is still starting (store
			// locked, endpoint not up yet) or a source restarting is
			// not an answer yet.
			if !opts.Wait || ctx.Err() != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		all := true
		var unread []error
		for _, l := range lags {
			all = all && l.CaughtUp
			if l.Err != nil {
				unread = append(unread, l.Err)
			}
		}
		if all || !opts.Wait {
			printLags(w, lags)
			return errors.Join(unread...)
		}
		select {
		case <-ctx.Done():
			printLags(w, lags)
			return errors.Join(append([]error{errNotCaughtUp}, unread...)...)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// lags compares each source's checkpoint with its current position, or,
// for the sources gates names, with the GTID set given there. With fixed
// not nil, a source's position is read once, kept there, and compared
// with again on the next calls.
func lags(ctx context.Context, cfg *config.Config, readers map[string]*source.Reader, gates map[string]string,
	fixed map[string]change.Position) ([]lag, error) {
	for name := range gates {
		if readers[name] == nil {
			return nil, fmt.Errorf("--wait-gtid names %s, which is not a configured source", name)
		}
	}
	cps, fills, err := checkpoints(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var out []lag
	for name, r := range readers {
		gate, gated := gates[name]
		if len(gates) > 0 && !gated {
			continue
		}
		cur, known := fixed[name]
		if !known {
			cur, err = r.CurrentPosition(ctx)
			if err != nil {
				out = append(out, lag{Source: name, Checkpoint: cps[name], Backfill: fills[name],
					Err: fmt.Errorf("reading current position of %s: %w", name, err)})
				continue
			}
			if fixed != nil {
				fixed[name] = cur
			}
		}
		if gated {
			cur = change.Position{Flavor: cur.Flavor, GTIDSet: gate}
		}
		cp := cps[name]
		ok, err := source.Reached(cp, cur)
		if err != nil {
			return nil, fmt.Errorf("comparing positions of %s: %w", name, err)
		}
		for _, b := range fills[name] {
			ok = ok && b.Done
		}
		out = append(out, lag{Source: name, Checkpoint: cp, Current: cur, CaughtUp: ok, Backfill: fills[name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// checkpoints asks the running service when it serves HTTP, else reads the
// store, which is only possible while the service is stopped: a service
// that does not answer may be stopped, and then its store tells. It
// returns the positions and the backfills by source.
func checkpoints(ctx context.Context, cfg *config.Config) (map[string]change.Position, map[string][]backfill.TableStatus, error) {
	var asked error
	fills := map[string][]backfill.TableStatus{}
	if cfg.HTTP.Listen != "" {
		st, err := fetchStatus(ctx, endpointOf(cfg))
		if err == nil {
			out := make(map[string]change.Position, len(st))
			for _, s := range st {
				out[s.Source] = s.Checkpoint
				fills[s.Source] = s.Backfill
			}
			return out, fills, nil
		}
		asked = fmt.Errorf("asking tributary at %s: %w", cfg.HTTP.Listen, err)
	}
	store, err := openStore(cfg)
	if err != nil {
		return nil, nil, errors.Join(asked, err)
	}
	defer store.Close()
	pos, err := store.Positions()
	if err != nil {
		return nil, nil, err
	}
	cursors, err := store.Cursors()
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cursors {
		fills[c.Source] = append(fills[c.Source], backfill.TableStatus{Table: c.QualifiedName(), Key: c.Key,
			Where: c.Where, Chunks: c.Chunks, Rows: c.Rows, Done: c.Done, Estimate: c.Estimate, Requested: c.Requested,
			Error:            c.Failed,
			CheckpointChunks: c.Chunks, CheckpointRows: c.Rows})
	}
	return pos, fills, nil
}

func fetchStatus(ctx context.Context, ep endpoint) ([]replicator.Status, error) {
	req, err := ep.request(ctx, http.MethodGet, "/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /status: %s", resp.Status)
	}
	var st []replicator.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("decoding /status: %w", err)
	}
	return st, nil
}

func printLags(w io.Writer, lags []lag) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tCAUGHT UP\tCHECKPOINT\tCURRENT")
	for _, l := range lags {
		cur := l.Current.String()
		if l.Err != nil {
			cur = "unreadable (see below)"
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", l.Source, l.CaughtUp, l.Checkpoint, cur)
	}
	_ = tw.Flush()
	printBackfills(w, lags)
}

// printBackfills lists every backfilled table with its progress, if any.
func printBackfills(w io.Writer, lags []lag) {
	any := false
	for _, l := range lags {
		any = any || len(l.Backfill) > 0
	}
	if !any {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tBACKFILL TABLE\tDONE\tCHUNKS\tROWS\tESTIMATED\tPERCENT\tERROR")
	for _, l := range lags {
		for _, b := range l.Backfill {
			table := b.Table
			if b.Where != "" {
				table += " where " + b.Where
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%s\t%s\t%s\n", l.Source, table, b.Done, b.Chunks, b.Rows,
				estimateText(b.Estimate), percentText(b.Rows, b.Estimate, b.Done), b.Error)
		}
	}
	_ = tw.Flush()
}
