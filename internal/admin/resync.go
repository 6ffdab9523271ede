package admin

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// ResyncOptions select the rows Resync repairs: the failed changes, the
// ranges with IDs, a mapping's rows under Where, or a mapping's target
// keys in KeysFile; one of them.
type ResyncOptions struct {
	Failed   bool
	Ranges   []uint64
	Mapping  string
	Where    string
	KeysFile string
	// DryRun prints what would be done and changes nothing.
	DryRun bool
	// Settle is how long the re-verify re-checks a difference (zero:
	// verify's default).
	Settle time.Duration
}

// check refuses a selection that picks nothing or several ways.
func (o ResyncOptions) check() error {
	n := 0
	for _, set := range []bool{o.Failed, len(o.Ranges) > 0, o.Where != "", o.KeysFile != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return errors.New("give --failed, --range ID, --mapping with --where, or --keys with --mapping: one of them")
	case (o.Where != "" || o.KeysFile != "") && o.Mapping == "":
		return errors.New("--where and --keys need --mapping (a mapping file or its target table)")
	case o.Mapping != "" && o.Where == "" && o.KeysFile == "":
		return errors.New("--mapping goes with --where or --keys")
	}
	return backfill.CheckWhere(o.Where)
}

// errNoResyncService is the answer when no service listens.
func errNoResyncService(addr string, err error) error {
	return fmt.Errorf("no running tributary answers at %s (%w). A resync runs inside the service, which merges the rows "+
		"it reads again into the stream it is reading, so the repairs are ordered with the live changes: start the "+
		"service (tributary run) and run this command again", addr, err)
}

// resyncWithin bounds one request to the service.
const resyncWithin = 24 * time.Hour

// resyncItem is one range to repair: stored (ID set) or given on the
// command line (ID 0), and the failed changes it stands for.
type resyncItem struct {
	rg     checkpoint.Range
	failed []uint64
}

// Resync repairs the selected rows through the running service: it asks
// it to read them again from their driving source tables in watermark
// windows (so the copies, and the deletes of keys the sources no longer
// have, are ordered with the live changes), then verifies them again.
// Ranges are marked resolved, and failed changes cleared, only when their
// re-verify is clean. Differences that remain are a finding (ErrFound).
func Resync(ctx context.Context, cfg *config.Config, opts ResyncOptions, logger *slog.Logger, w io.Writer) error {
	if err := opts.check(); err != nil {
		return err
	}
	if cfg.HTTP.Listen == "" {
		return errors.New("http.listen is empty: tributary resync asks the running service through its HTTP endpoint; " +
			"set http.listen (a loopback or private address) and restart the service")
	}
	set, err := replicator.LoadMappings(cfg)
	if err != nil {
		return err
	}
	if set == nil {
		return errors.New("the configuration names no mappings: resync repairs the rows of a mapping")
	}
	ep := endpointOf(cfg)
	ask := func(method, path string, body, out any) error {
		// A resync answers once its rows are in the stream, which for a
		// wide predicate may take long; the caller's context bounds it.
		err := askServiceWithin(ctx, ep, resyncWithin, method, path, body, out)
		if errors.Is(err, errNotAnswering) {
			return errNoResyncService(ep.addr, err)
		}
		return err
	}
	items, err := resyncItems(opts, set, ask)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintln(w, "nothing to resync")
		return nil
	}
	if opts.DryRun {
		return resyncDry(ctx, cfg, set, items, ask, w)
	}
	var open []checkpoint.Range
	if opts.Failed {
		if err := ask(http.MethodGet, "/ranges", nil, &open); err != nil {
			return err
		}
	}
	for i := range items {
		it := &items[i]
		if j := slices.IndexFunc(open, func(rg checkpoint.Range) bool { return sameRange(rg, it.rg) }); j >= 0 {
			// A resync of these failed changes that left differences
			// recorded them already.
			it.rg = open[j]
			continue
		}
		if it.rg.ID == 0 && len(it.failed) > 0 {
			// Failed changes become a range of origin failed, so the
			// repair is on record until it is verified.
			if err := ask(http.MethodPost, "/ranges", it.rg, &it.rg); err != nil {
				return fmt.Errorf("recording the failed changes of %s as a range: %w", it.rg.Mapping, err)
			}
			fmt.Fprintf(w, "recorded range %d: %s %s from %s\n", it.rg.ID, it.rg.Mapping, rangeRows(it.rg),
				plural(len(it.failed), "failed change", "failed changes"))
		}
	}
	for _, it := range items {
		var results []backfill.ResyncResult
		if err := ask(http.MethodPost, "/resync", resyncRequest(it.rg, false), &results); err != nil {
			return fmt.Errorf("resyncing %s: %w", itemName(it), err)
		}
		printResults(w, itemName(it), results, false)
	}
	left := 0
	for _, it := range items {
		n, err := reverify(ctx, cfg, set, opts, it, logger, w)
		if err != nil {
			return fmt.Errorf("verifying %s again: %w", itemName(it), err)
		}
		if n > 0 {
			left += n
			continue
		}
		if it.rg.ID != 0 {
			var ids []uint64
			if err := ask(http.MethodPost, "/ranges/resolve", checkpoint.RangeSelection{IDs: []uint64{it.rg.ID}}, &ids); err != nil {
				return fmt.Errorf("marking range %d resolved: %w", it.rg.ID, err)
			}
			fmt.Fprintf(w, "range %d resolved\n", it.rg.ID)
		}
		if len(it.failed) > 0 {
			var cleared []uint64
			if err := ask(http.MethodPost, "/failed/clear", replicator.FailedSelection{IDs: it.failed}, &cleared); err != nil {
				return fmt.Errorf("clearing the repaired failed changes: %w", err)
			}
			fmt.Fprintf(w, "cleared %s\n", plural(len(cleared), "repaired failed change", "repaired failed changes"))
		}
	}
	if left > 0 {
		verb := "remain"
		if left == 1 {
			verb = "remains"
		}
		return found("%s %s after the resync; its range stays open", plural(left, "difference", "differences"), verb)
	}
	return nil
}

// sameRange reports whether an open range stands for the same rows as
// rg, of the same origin.
func sameRange(open, rg checkpoint.Range) bool {
	if open.Mapping != rg.Mapping || open.Origin != rg.Origin || open.Source != rg.Source ||
		open.Where != rg.Where || len(open.Keys) != len(rg.Keys) {
		return false
	}
	for i := range open.Keys {
		if !slices.Equal(open.Keys[i], rg.Keys[i]) {
			return false
		}
	}
	return true
}

// itemName names a range in messages.
func itemName(it resyncItem) string {
	if it.rg.ID != 0 {
		return fmt.Sprintf("range %d (%s %s)", it.rg.ID, it.rg.Mapping, rangeRows(it.rg))
	}
	return it.rg.Mapping + " " + rangeRows(it.rg)
}

// resyncRequest is the request of a range.
func resyncRequest(rg checkpoint.Range, dry bool) replicator.ResyncRequest {
	return replicator.ResyncRequest{Mapping: rg.Mapping, Source: rg.Source, Where: rg.Where, Keys: rg.Keys, DryRun: dry}
}

// resyncItems gathers the ranges opts select.
func resyncItems(opts ResyncOptions, set *mapping.Set, ask func(method, path string, body, out any) error) ([]resyncItem, error) {
	var items []resyncItem
	switch {
	case len(opts.Ranges) > 0:
		for _, id := range opts.Ranges {
			var rg checkpoint.Range
			if err := ask(http.MethodGet, fmt.Sprintf("/ranges/%d", id), nil, &rg); err != nil {
				return nil, err
			}
			items = append(items, resyncItem{rg: rg})
		}
	case opts.Failed:
		var raw []json.RawMessage
		if err := ask(http.MethodGet, "/failed", nil, &raw); err != nil {
			return nil, err
		}
		failed, err := decodeFailed(raw)
		if err != nil {
			return nil, err
		}
		return failedItems(failed, set), nil
	default:
		target, err := mappingTarget(set, opts.Mapping)
		if err != nil {
			return nil, err
		}
		rg := checkpoint.Range{Mapping: target, Where: opts.Where, Origin: checkpoint.RangeOperator}
		if opts.KeysFile != "" {
			if rg.Keys, err = ReadKeysFile(opts.KeysFile); err != nil {
				return nil, err
			}
		}
		items = append(items, resyncItem{rg: rg})
	}
	return items, nil
}

// mappingTarget returns the target table of the mapping name names.
func mappingTarget(set *mapping.Set, name string) (string, error) {
	if _, err := os.Stat(name); err == nil {
		if abs, err := filepath.Abs(name); err == nil {
			name = abs
		}
	}
	for _, f := range set.Mappings() {
		if namesMapping(f, name) {
			return f.Target, nil
		}
	}
	return "", fmt.Errorf("--mapping %s: neither a loaded mapping file nor a target table of one", name)
}

// failedItems turns failed changes into one range of target keys per
// target table (origin failed), each key once. Records of tables no
// mapping writes are left out.
func failedItems(failed []change.FailedChange, set *mapping.Set) []resyncItem {
	var items []resyncItem
	byTarget := map[string]int{}
	seen := map[string]bool{}
	for _, fc := range failed {
		// A reject is a row its source may not write (outside owns:):
		// reading it again gives the same reject, so it is left for
		// tributary failed to show and clear.
		if len(fc.Key) == 0 || fc.Op == "reject" || set.Drivers(fc.Target) == nil {
			continue
		}
		i, ok := byTarget[fc.Target]
		if !ok {
			i = len(items)
			byTarget[fc.Target] = i
			items = append(items, resyncItem{rg: checkpoint.Range{Mapping: fc.Target, Origin: checkpoint.RangeFailed}})
		}
		it := &items[i]
		it.failed = append(it.failed, fc.ID)
		key := make([]string, len(fc.Key))
		for j, v := range fc.Key {
			key[j] = fmt.Sprint(change.Plain(v))
		}
		k := fc.Target + "\x00" + strings.Join(key, "\x00")
		if !seen[k] {
			seen[k] = true
			it.rg.Keys = append(it.rg.Keys, key)
		}
	}
	for i := range items {
		ids := make([]string, len(items[i].failed))
		for j, id := range items[i].failed {
			ids[j] = fmt.Sprint(id)
		}
		items[i].rg.Reason = "failed changes " + strings.Join(ids, ", ")
	}
	return items
}

// printResults prints what the resync of a range did, a line per table.
func printResults(w io.Writer, name string, results []backfill.ResyncResult, dry bool) {
	fmt.Fprintln(w, name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if dry {
		fmt.Fprintln(tw, "  SOURCE\tTABLE\tKEY\tKEYS\tROWS\tABSENT")
	} else {
		fmt.Fprintln(tw, "  SOURCE\tTABLE\tKEY\tWINDOWS\tCOPIED\tCARRIED\tDELETED\tELAPSED")
	}
	for _, r := range results {
		if dry {
			rows := fmt.Sprint(r.Read)
			if r.Keys == 0 {
				rows = "~" + estimateText(r.Estimate)
			}
			if r.Scanned {
				rows += " (whole table read: the entry computes the key)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.Source, r.Table, strings.Join(r.Key, ","),
				countText(r.Keys), rows, countText(r.Absent))
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Source, r.Table, strings.Join(r.Key, ","), r.Chunks,
			r.Copied, r.Carried, r.Deleted, (time.Duration(r.Elapsed * float64(time.Second))).Round(time.Millisecond))
	}
	_ = tw.Flush()
	for _, r := range results {
		if r.Scanned && !dry {
			fmt.Fprintf(w, "  %s on %s: read whole, its entry computes the target key; keys it does not have are not deleted through it\n",
				r.Table, r.Source)
		}
		if r.Undeletable > 0 {
			fmt.Fprintf(w, "  %s: %s not deleted: %s\n", r.Table, plural(r.Undeletable, "absent key", "absent keys"), r.Why)
		}
	}
}

// countText shows a count of keys, "-" without keys.
func countText(n int) string {
	if n <= 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// resyncDry asks the service what each range would read and prints it
// with the target rows the absent keys would delete.
func resyncDry(ctx context.Context, cfg *config.Config, set *mapping.Set, items []resyncItem, ask func(method, path string, body, out any) error, w io.Writer) error {
	fmt.Fprintln(w, "dry run: nothing is read through the stream, written or marked")
	for _, it := range items {
		var results []backfill.ResyncResult
		if err := ask(http.MethodPost, "/resync", resyncRequest(it.rg, true), &results); err != nil {
			return fmt.Errorf("resyncing %s: %w", itemName(it), err)
		}
		name := itemName(it)
		if it.rg.Source != "" {
			name += " on source " + it.rg.Source
		}
		if len(it.failed) > 0 {
			name += " from " + plural(len(it.failed), "failed change", "failed changes")
		}
		printResults(w, name, results, true)
		if it.rg.Where != "" {
			fmt.Fprintln(w, "  a predicate deletes nothing: target rows whose source rows are gone are not looked for")
			continue
		}
		var absent [][]string
		for _, r := range results {
			absent = append(absent, r.AbsentKeys...)
		}
		n, err := targetRows(ctx, cfg, set, it.rg.Mapping, absent)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  would delete %s of %s (absent from every source read)\n", plural(n, "target row", "target rows"), it.rg.Mapping)
	}
	return nil
}

// targetRows counts the rows of the target table that hold one of keys
// (text, in the target key's order).
func targetRows(ctx context.Context, cfg *config.Config, set *mapping.Set, target string, keys [][]string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var cols []string
	for _, t := range set.Targets() {
		if t.QualifiedName() == target {
			cols = t.Key
		}
	}
	dsn, err := verifyTarget(cfg)
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return 0, fmt.Errorf("opening the target: %w", err)
	}
	defer db.Close()
	schema, table, _ := strings.Cut(target, ".")
	n := 0
	for batch := range slices.Chunk(keys, 1000) {
		var b strings.Builder
		var args []any
		b.WriteString("SELECT COUNT(*) FROM " + quoteName(schema) + "." + quoteName(table) + " WHERE ")
		for i, k := range batch {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(")
			for j, c := range cols {
				if j > 0 {
					b.WriteString(" AND ")
				}
				b.WriteString(quoteName(c) + " = ?")
				args = append(args, k[j])
			}
			b.WriteString(")")
		}
		var c int
		if err := db.QueryRowContext(ctx, b.String(), args...).Scan(&c); err != nil {
			return 0, fmt.Errorf("counting the target rows of the absent keys: %w", err)
		}
		n += c
	}
	return n, nil
}

// quoteName returns name as a backtick-quoted identifier.
func quoteName(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// reverify compares the range's rows again and prints what remains; it
// returns the number of differences.
func reverify(ctx context.Context, cfg *config.Config, set *mapping.Set, opts ResyncOptions, it resyncItem, logger *slog.Logger, w io.Writer) (int, error) {
	targetDSN, err := verifyTarget(cfg)
	if err != nil {
		return 0, err
	}
	sources := make(map[string]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		if it.rg.Source == "" || it.rg.Source == s.Name {
			sources[s.Name] = s.DSN("")
		}
	}
	rep, err := verify.Run(ctx, verify.Options{Set: set, Targets: []string{it.rg.Mapping}, Sources: sources,
		Lookups: cfg.Lookups, TargetDSN: targetDSN, Where: it.rg.Where, Keys: it.rg.Keys, Settle: opts.Settle, Log: logger})
	if err != nil {
		return 0, err
	}
	n := rep.Differences()
	if n == 0 {
		fmt.Fprintf(w, "%s: verified again, no differences\n", itemName(it))
		return 0, nil
	}
	verb := "remain"
	if n == 1 {
		verb = "remains"
	}
	fmt.Fprintf(w, "%s: verified again, %s %s:\n", itemName(it), plural(n, "difference", "differences"), verb)
	for _, m := range rep.Mappings {
		for _, d := range m.Diffs {
			parts := make([]string, len(d.Key))
			for i, f := range d.Key {
				parts[i] = fmt.Sprintf("%s=%v", f.Column, f.Value)
			}
			line := fmt.Sprintf("  %s %s %s", m.Target, d.Kind, strings.Join(parts, ","))
			if len(d.Columns) > 0 {
				line += " columns " + strings.Join(d.Columns, ",")
			}
			fmt.Fprintln(w, line)
		}
	}
	return n, nil
}
