package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// RangeOptions describe the range AddRange adds.
type RangeOptions struct {
	// Mapping is a mapping file or the target table of one.
	Mapping string
	// Source restricts the range to one source (optional).
	Source string
	// Where is an SQL predicate over the source table's columns; KeysFile
	// a file of target keys (see ReadKeysFile). One of them.
	Where, KeysFile string
	// Reason says why, in words (optional).
	Reason string
}

// AddRange adds a range of rows to repair, through the running service
// when one answers at http.listen, else to the store.
func AddRange(ctx context.Context, cfg *config.Config, opts RangeOptions, w io.Writer) error {
	if opts.Mapping == "" {
		return fmt.Errorf("--mapping is required: a mapping file or the target table of one")
	}
	if (opts.Where == "") == (opts.KeysFile == "") {
		return fmt.Errorf("give --where or --keys, one of them")
	}
	rg := checkpoint.Range{Mapping: opts.Mapping, Source: opts.Source, Where: opts.Where, Reason: opts.Reason,
		Origin: checkpoint.RangeOperator}
	if opts.Where != "" {
		if err := backfill.CheckWhere(opts.Where); err != nil {
			return fmt.Errorf("--where: %w", err)
		}
	} else {
		keys, err := ReadKeysFile(opts.KeysFile)
		if err != nil {
			return err
		}
		rg.Keys = keys
	}
	// A file is sent by its absolute path: the service may run in another
	// directory.
	if _, err := os.Stat(rg.Mapping); err == nil {
		if abs, err := filepath.Abs(rg.Mapping); err == nil {
			rg.Mapping = abs
		}
	}
	added, err := addRange(ctx, cfg, rg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "added range %d: %s %s\n", added.ID, added.Mapping, rangeRows(added))
	return nil
}

// addRange stores rg through the running service when one answers, else
// in the store, and returns it as stored.
func addRange(ctx context.Context, cfg *config.Config, rg checkpoint.Range) (checkpoint.Range, error) {
	var added checkpoint.Range
	err := online(ctx, cfg, true, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodPost, "/ranges", rg, &added)
	}, func(r *replicator.Repair) error {
		var err error
		added, err = r.AddRange(ctx, rg)
		return err
	})
	return added, err
}

// ReadKeysFile reads a file of target keys: one key per line, its values
// in the order of the target key's columns, separated by tabs, or by
// commas on a line without a tab. Values are taken as written, but for
// the spaces around them; blank lines and lines starting with # are
// skipped. Every key must have as many values as the first.
func ReadKeysFile(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading --keys: %w", err)
	}
	defer f.Close()
	var keys [][]string
	first := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		sep := ","
		if strings.Contains(text, "\t") {
			sep = "\t"
		}
		vals := strings.Split(text, sep)
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		if len(keys) == 0 {
			first = line
		} else if len(vals) != len(keys[0]) {
			return nil, fmt.Errorf("%s:%d: %d values, and the key on line %d has %d (one key per line, its values separated by tabs or commas)",
				path, line, len(vals), first, len(keys[0]))
		}
		keys = append(keys, vals)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --keys %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--keys %s holds no key (one key per line, its values separated by tabs or commas)", path)
	}
	return keys, nil
}

// rangeRows says which rows a range holds.
func rangeRows(r checkpoint.Range) string {
	if r.Where != "" {
		return "where " + r.Where
	}
	return plural(len(r.Keys), "key", "keys")
}

// ListRanges prints the open ranges, or every one with all.
func ListRanges(ctx context.Context, cfg *config.Config, all bool, w io.Writer) error {
	var rs []checkpoint.Range
	err := online(ctx, cfg, false, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodGet, "/ranges?all="+strconv.FormatBool(all), nil, &rs)
	}, func(r *replicator.Repair) error {
		var err error
		rs, err = r.Ranges(all)
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tMAPPING\tSOURCE\tROWS\tORIGIN\tRESOLVED\tREASON")
	for _, r := range rs {
		resolved := "-"
		if !r.Resolved.IsZero() {
			resolved = r.Resolved.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Created.UTC().Format(time.RFC3339), r.Mapping,
			dash(r.Source), rangeRows(r), r.Origin, resolved, dash(r.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	what := "open range"
	if all {
		what = "range"
	}
	fmt.Fprintln(w, plural(len(rs), what, what+"s"))
	return nil
}

// ShowRange prints one range in full, its keys included, as JSON.
func ShowRange(ctx context.Context, cfg *config.Config, id uint64, w io.Writer) error {
	var rg checkpoint.Range
	err := online(ctx, cfg, false, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodGet, "/ranges/"+strconv.FormatUint(id, 10), nil, &rg)
	}, func(r *replicator.Repair) error {
		var err error
		rg, err = r.Range(id)
		return err
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rg)
}

// ClearRanges deletes the ranges sel picks.
func ClearRanges(ctx context.Context, cfg *config.Config, sel checkpoint.RangeSelection, w io.Writer) error {
	var cleared []checkpoint.Range
	err := online(ctx, cfg, false, func(addr endpoint) error {
		return askService(ctx, addr, http.MethodPost, "/ranges/clear", sel, &cleared)
	}, func(r *replicator.Repair) error {
		var err error
		cleared, err = r.ClearRanges(sel)
		return err
	})
	if err != nil {
		return err
	}
	ids := make([]uint64, len(cleared))
	for i, r := range cleared {
		ids[i] = r.ID
	}
	fmt.Fprintf(w, "cleared %s%s\n", plural(len(ids), "range", "ranges"), idsText(ids))
	return nil
}
