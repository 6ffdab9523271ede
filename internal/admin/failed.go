package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	mysqlsink "github.com/tributary-cdc/tributary/internal/sink/mysql"
)

// FailedSelection picks failed changes: IDs, All, or those of Target.
type FailedSelection = replicator.FailedSelection

// RangeSelection picks ranges: IDs, the Resolved ones, or All.
type RangeSelection = checkpoint.RangeSelection

// ListFailed prints one line per recorded failed target operation, with
// the error's summary where the sink gave one: the whole error may quote
// row values, which only ShowFailed prints. It asks the running service
// when one answers at http.listen, else reads the store.
func ListFailed(ctx context.Context, cfg *config.Config, w io.Writer) error {
	var failed []change.FailedChange
	err := online(ctx, cfg, false, func(addr endpoint) error {
		var raw []json.RawMessage
		if err := askService(ctx, addr, http.MethodGet, "/failed", nil, &raw); err != nil {
			return err
		}
		var err error
		failed, err = decodeFailed(raw)
		return err
	}, func(r *replicator.Repair) error {
		var err error
		failed, err = r.Store.FailedChanges()
		if err != nil {
			return fmt.Errorf("reading failed changes: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tSOURCE\tPOSITION\tTARGET\tOP\tERROR")
	for _, fc := range failed {
		text := fc.Error
		if fc.Summary != "" {
			text = fc.Summary
		}
		if !fc.Superseded.IsZero() {
			text = "(superseded) " + text
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", fc.ID, fc.At.UTC().Format(time.RFC3339), fc.Source,
			positionText(fc.Position, fc.GTID), fc.Target, fc.Op, text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, plural(len(failed), "failed change", "failed changes"))
	return nil
}

func decodeFailed(raw []json.RawMessage) ([]change.FailedChange, error) {
	out := make([]change.FailedChange, len(raw))
	for i, r := range raw {
		fc, err := checkpoint.UnmarshalFailed(r)
		if err != nil {
			return nil, fmt.Errorf("decoding the service's answer: %w", err)
		}
		out[i] = fc
	}
	return out, nil
}

// ShowFailed prints one failed operation in full, its row values included,
// as JSON for the operator who decides what to do with it.
func ShowFailed(ctx context.Context, cfg *config.Config, id uint64, w io.Writer) error {
	var fc change.FailedChange
	err := online(ctx, cfg, false, func(addr endpoint) error {
		var raw json.RawMessage
		if err := askService(ctx, addr, http.MethodGet, "/failed/"+strconv.FormatUint(id, 10), nil, &raw); err != nil {
			return err
		}
		var err error
		fc, err = checkpoint.UnmarshalFailed(raw)
		return err
	}, func(r *replicator.Repair) error {
		var err error
		fc, err = r.FailedChange(id)
		return err
	})
	if err != nil {
		return err
	}
	values := make(map[string]any, len(fc.Columns))
	for i, c := range fc.Columns {
		values[c] = printable(fc.Values[i])
	}
	key := make([]any, len(fc.Key))
	for i, v := range fc.Key {
		key[i] = printable(v)
	}
	out := map[string]any{
		"id": fc.ID, "at": fc.At.UTC(), "source": fc.Source, "position": fc.Position, "gtid": fc.GTID,
		"target": fc.Target, "op": fc.Op, "key": key, "values": values, "error": fc.Error,
	}
	if fc.ConflictKey != nil {
		other := make([]any, len(fc.ConflictKey))
		for i, v := range fc.ConflictKey {
			other[i] = printable(v)
		}
		out["conflict_key"] = other
	}
	if !fc.Superseded.IsZero() {
		out["superseded"] = fc.Superseded.UTC()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// RetryFailed applies the failed operations sel picks again, in the order
// they were recorded, through the running service's mysql sink, or, with
// the service stopped, through a sink of its own opened with the same
// settings. Each that applies is deleted; each that fails again is kept
// with its new error, and so is each refused (superseded by a later
// change of its row, or an update). Any kept one makes it a finding
// (ErrFound).
func RetryFailed(ctx context.Context, cfg *config.Config, sel FailedSelection, logger *slog.Logger, w io.Writer) error {
	var results []mysqlsink.RetryResult
	err := online(ctx, cfg, true, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodPost, "/failed/retry", sel, &results)
	}, func(r *replicator.Repair) error {
		stop, err := openRetrySink(ctx, cfg, r, logger)
		if err != nil {
			return err
		}
		results, err = r.RetryFailed(ctx, sel)
		return errors.Join(err, stop())
	})
	printRetried(w, results)
	if err != nil {
		return err
	}
	kept := 0
	for _, res := range results {
		if !res.Applied {
			kept++
		}
	}
	if kept > 0 {
		return found("%s kept (tributary failed show ID has the whole error)", plural(kept, "failed change", "failed changes"))
	}
	return nil
}

// openRetrySink opens the configuration's mysql sink on r's store for an
// offline retry and returns what stops it.
func openRetrySink(ctx context.Context, cfg *config.Config, r *replicator.Repair, logger *slog.Logger) (func() error, error) {
	sc, why := replicator.MySQLSinkOf(cfg)
	if sc == nil {
		r.NoSink = why
		return func() error { return nil }, nil
	}
	opts := *sc.MySQL
	if opts.PasswordEnv != "" {
		if _, set := os.LookupEnv(opts.PasswordEnv); !set {
			return nil, fmt.Errorf("sink %s: environment variable %s (password_env) is not set, and with the service "+
				"stopped retry connects to the target itself", sc.Name, opts.PasswordEnv)
		}
	}
	opts.Failed, opts.Logger = r.Store, logger.With("sink", sc.Name)
	s, err := mysqlsink.New(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", sc.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r.Sink = s
	return func() error {
		err := s.Close()
		return errors.Join(err, <-done)
	}, nil
}

// printRetried prints what became of each retried operation.
func printRetried(w io.Writer, results []mysqlsink.RetryResult) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESULT")
	applied := 0
	for _, res := range results {
		switch {
		case res.Applied:
			applied++
			fmt.Fprintf(tw, "%d\tapplied, record deleted\n", res.ID)
		case res.Refused != "":
			fmt.Fprintf(tw, "%d\tkept, not applied: %s\n", res.ID, res.Refused)
		default:
			fmt.Fprintf(tw, "%d\tkept, fails again: %s\n", res.ID, res.Summary)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d applied, %d kept\n", applied, len(results)-applied)
}

// ClearFailed deletes the failed changes sel picks.
func ClearFailed(ctx context.Context, cfg *config.Config, sel FailedSelection, w io.Writer) error {
	var ids []uint64
	err := online(ctx, cfg, false, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodPost, "/failed/clear", sel, &ids)
	}, func(r *replicator.Repair) error {
		var err error
		ids, err = r.ClearFailed(sel)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "cleared %s%s\n", plural(len(ids), "failed change", "failed changes"), idsText(ids))
	return nil
}

// idsText lists ids after a count: " (1, 2, 3)", or nothing.
func idsText(ids []uint64) string {
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func positionText(p change.Position, gtid string) string {
	if gtid != "" {
		return gtid
	}
	return fmt.Sprintf("%s:%d", p.File, p.Pos)
}

// printable turns a value into something JSON shows faithfully: bytes as
// base64 (encoding/json's default), everything else as it is.
func printable(v change.Value) any {
	switch v := v.(type) {
	case change.Decimal:
		return string(v)
	case change.Temporal:
		return string(v)
	case change.JSON:
		return string(v)
	}
	return v
}
