package admin

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// printResults prints what the resync of a range did, a line per table:
// rows SENT into the stream (the service applies them as it applies the
// stream, and the re-verify checks them), rows CARRIED by a change the
// stream had anyway, deletes sent.
func printResults(w io.Writer, name string, results []backfill.ResyncResult, dry bool) {
	fmt.Fprintln(w, name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if dry {
		fmt.Fprintln(tw, "  SOURCE\tTABLE\tKEY\tKEYS\tROWS\tABSENT")
	} else {
		fmt.Fprintln(tw, "  SOURCE\tTABLE\tKEY\tWINDOWS\tSENT\tCARRIED\tDELETED\tELAPSED")
	}
	for _, r := range results {
		if dry {
			rows := fmt.Sprint(r.Read)
			if r.Keys == 0 {
				rows = estimateText(r.Estimate)
				if r.Estimate > 0 {
					rows = "~" + rows
				}
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
			if err := resyncOwned(ctx, cfg, set, &it, ask, w, true); err != nil {
				return err
			}
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
	vo := verify.Options{Set: set, Targets: []string{it.rg.Mapping}, Sources: sources,
		Lookups: cfg.Lookups, TargetDSN: targetDSN, Where: it.rg.Where, Keys: it.rg.Keys, Settle: opts.Settle, Log: logger}
	rep, err := verify.Run(ctx, vo)
	if err != nil {
		return 0, err
	}
	reps := []*verify.Report{rep}
	if len(it.owned) > 0 {
		// The target rows a predicate owns: a predicate's verify does not
		// look for extra rows, their keys' does.
		vo.Where, vo.Keys = "", it.owned
		if rep, err = verify.Run(ctx, vo); err != nil {
			return 0, err
		}
		reps = append(reps, rep)
	}
	n := 0
	var lines []string
	seen := map[string]bool{}
	for _, rep := range reps {
		n += rep.Differences()
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
				if seen[line] {
					n-- // both verifies saw it
					continue
				}
				seen[line] = true
				lines = append(lines, line)
			}
		}
	}
	if n == 0 {
		fmt.Fprintf(w, "%s: verified again, no differences\n", itemName(it))
		return 0, nil
	}
	verb := "remain"
	if n == 1 {
		verb = "remains"
	}
	fmt.Fprintf(w, "%s: verified again, %s %s:\n", itemName(it), plural(n, "difference", "differences"), verb)
	for _, line := range lines {
		fmt.Fprintln(w, line)
	}
	return n, nil
}
