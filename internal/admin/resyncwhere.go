package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// A predicate over the driving source tables finds the rows the sources
// still have; the target rows whose source rows are gone are found on
// the target instead. For each driving entry that copies every column the
// predicate names verbatim (a plain copy or a rename) into the target,
// and copies the target key from source columns, the predicate is
// rewritten over the target's columns and the target keys it matches are
// resynced as keys of that entry: the ones the source still has are read
// again, the others become deletes through the same windows and checks as
// any key range (owns:, the source primary key, the delete policy, a
// merge's contributor columns). An entry the predicate cannot be
// translated through (a column computed by an expression, one a lookup or
// another entry writes, a computed target key) has its present rows
// repaired only, and the output says how to find its extra rows.

// ownedRows are the target rows a predicate range owns through one
// driving entry.
type ownedRows struct {
	// entry is the driving entry's position among the mapping's, from 1.
	entry  int
	driver mapping.Driver
	// where is the predicate over the target's columns; empty when it
	// cannot be translated, and why says why.
	where string
	why   string
	// keys are the target keys where matches, as text in key order.
	keys [][]string
}

// entryName names a driving entry in messages.
func entryName(o ownedRows) string {
	return fmt.Sprintf("entry %d (%s %s.%s)", o.entry, o.driver.Source, o.driver.Schema, o.driver.Table)
}

// translateWhere rewrites the range's predicate over the target's columns
// for each driving entry of its mapping that its source selects.
// (An entry whose source pattern matches several sources must hold
// meta.source in the target key, which it then computes: the keys of an
// entry translated here are those of one source.)
func translateWhere(set *mapping.Set, rg checkpoint.Range) []ownedRows {
	var out []ownedRows
	for i, d := range set.Drivers(rg.Mapping) {
		if ok, _ := path.Match(d.Source, rg.Source); rg.Source != "" && !ok {
			continue // the range reads none of its tables
		}
		o := ownedRows{entry: i + 1, driver: d}
		switch {
		case d.KeyColumns == nil:
			o.why = "the entry computes the target key, so a target row cannot be turned back into its source row"
		default:
			where, err := backfill.RenameColumns(rg.Where, func(col string) (string, error) {
				if to, ok := d.TargetColumn(col); ok {
					return to, nil
				}
				return "", fmt.Errorf("column %s is not copied verbatim into %s by the entry (an expression, a lookup's or another entry's column, or not written)",
					col, rg.Mapping)
			})
			if err != nil {
				o.why = err.Error()
			}
			o.where = where
		}
		out = append(out, o)
	}
	return out
}

// readOwned reads the keys of the target rows each translated predicate
// matches.
func readOwned(ctx context.Context, cfg *config.Config, set *mapping.Set, target string, owned []ownedRows) error {
	if !slices.ContainsFunc(owned, func(o ownedRows) bool { return o.where != "" }) {
		return nil
	}
	var key []string
	for _, t := range set.Targets() {
		if t.QualifiedName() == target {
			key = t.Key
		}
	}
	dsn, err := verifyTarget(cfg)
	if err != nil {
		return err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return fmt.Errorf("opening the target: %w", err)
	}
	defer db.Close()
	for i := range owned {
		if owned[i].where == "" {
			continue
		}
		if owned[i].keys, err = targetKeys(ctx, db, target, key, owned[i].where); err != nil {
			return fmt.Errorf("reading the target rows of %s that %s owns: %w", target, entryName(owned[i]), mysqlerr.Redact(err))
		}
	}
	return nil
}

// targetKeyPage is how many target keys one query reads.
const targetKeyPage = 10000

// targetKeys reads the keys (text, in key order) of the rows of target
// that where matches, in pages in key order.
func targetKeys(ctx context.Context, db *sql.DB, target string, key []string, where string) ([][]string, error) {
	if len(key) == 0 {
		return nil, errors.New("the target has no key")
	}
	schema, table, _ := strings.Cut(target, ".")
	cols := make([]string, len(key))
	for i, k := range key {
		cols[i] = quoteName(k)
	}
	var out [][]string
	var after []string
	for {
		var b strings.Builder
		var args []any
		b.WriteString("SELECT " + strings.Join(cols, ", ") + " FROM " + quoteName(schema) + "." + quoteName(table) +
			" WHERE (" + where + ")")
		if after != nil {
			// (k1, k2, ...) > (v1, v2, ...) written out, which the
			// server reads as a range of the key.
			var or []string
			for i := range cols {
				var and []string
				for j := 0; j <= i; j++ {
					op := " = ?"
					if j == i {
						op = " > ?"
					}
					and = append(and, cols[j]+op)
					args = append(args, after[j])
				}
				or = append(or, "("+strings.Join(and, " AND ")+")")
			}
			b.WriteString(" AND (" + strings.Join(or, " OR ") + ")")
		}
		b.WriteString(" ORDER BY " + strings.Join(cols, ", ") + fmt.Sprintf(" LIMIT %d", targetKeyPage))
		n, err := func() (int, error) {
			rows, err := db.QueryContext(ctx, b.String(), args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				vals := make([]sql.NullString, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return 0, err
				}
				k := make([]string, len(cols))
				for i, v := range vals {
					k[i] = v.String
				}
				out = append(out, k)
				after = k
				n++
			}
			return n, rows.Err()
		}()
		if err != nil {
			return nil, err
		}
		if n < targetKeyPage {
			return out, nil
		}
	}
}

// ownedKeys returns the keys of every entry's owned rows, each once.
func ownedKeys(owned []ownedRows) [][]string {
	var out [][]string
	seen := map[string]bool{}
	for _, o := range owned {
		for _, k := range o.keys {
			s := strings.Join(k, "\x00")
			if !seen[s] {
				seen[s] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// resyncOwned resyncs, as keys, the target rows the predicate range of it
// owns through each driving entry the predicate translates to, and
// records their keys in it for the re-verify; for the other entries it
// says why their extra rows are not looked for. A dry run prints the rows
// it would consider and how many it would delete.
func resyncOwned(ctx context.Context, cfg *config.Config, set *mapping.Set, it *resyncItem,
	ask func(method, path string, body, out any) error, w io.Writer, dry bool) error {
	owned := translateWhere(set, it.rg)
	if err := readOwned(ctx, cfg, set, it.rg.Mapping, owned); err != nil {
		return err
	}
	advise := false
	for _, o := range owned {
		if o.why != "" {
			fmt.Fprintf(w, "  %s: target rows whose source rows are gone are not looked for through %s: %s\n",
				it.rg.Mapping, entryName(o), o.why)
			advise = true
			continue
		}
		name := fmt.Sprintf("  target rows of %s matching %s (%s): %d", it.rg.Mapping, o.where, entryName(o), len(o.keys))
		if len(o.keys) == 0 {
			fmt.Fprintln(w, name)
			continue
		}
		var results []backfill.ResyncResult
		for page := range slices.Chunk(o.keys, targetKeyPage) {
			req := replicator.ResyncRequest{Mapping: it.rg.Mapping, Source: it.rg.Source, Keys: page, Entry: o.entry, DryRun: dry}
			var res []backfill.ResyncResult
			if err := ask(http.MethodPost, "/resync", req, &res); err != nil {
				return fmt.Errorf("resyncing the target rows of %s that %s owns: %w", it.rg.Mapping, entryName(o), err)
			}
			results = append(results, res...)
		}
		printResults(w, name, sumResults(results), dry)
		if dry {
			var absent [][]string
			for _, r := range results {
				absent = append(absent, r.AbsentKeys...)
			}
			n, err := targetRows(ctx, cfg, set, it.rg.Mapping, absent)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  would delete %s of %s (absent from the source)\n", plural(n, "target row", "target rows"), it.rg.Mapping)
		}
	}
	if advise {
		fmt.Fprintf(w, "  the rows the sources have are repaired; to remove extra rows, run tributary verify --mapping %s --record "+
			"(verify finds extra rows), then tributary resync --range ID with the range it records\n", it.rg.Mapping)
	}
	it.owned = ownedKeys(owned)
	return nil
}

// sumResults adds up the results of the pages of one resync, a line per
// source table.
func sumResults(results []backfill.ResyncResult) []backfill.ResyncResult {
	var out []backfill.ResyncResult
	at := map[string]int{}
	for _, r := range results {
		k := r.Source + "\x00" + r.Table
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			out = append(out, r)
			continue
		}
		s := &out[i]
		s.Keys += r.Keys
		s.Estimate += r.Estimate
		s.Chunks += r.Chunks
		s.Read += r.Read
		s.Copied += r.Copied
		s.Carried += r.Carried
		s.Absent += r.Absent
		s.Deleted += r.Deleted
		s.Undeletable += r.Undeletable
		if s.Why == "" {
			s.Why = r.Why
		}
		s.Scanned = s.Scanned || r.Scanned
		s.AbsentKeys = append(s.AbsentKeys, r.AbsentKeys...)
		s.Elapsed += r.Elapsed
	}
	return out
}
