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
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/mysqlerr"
	"github.com/tributary-cdc/tributary/internal/replicator"
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
	// owned are the keys of the target rows a predicate range owns (see
	// resyncwhere.go), which its re-verify compares too.
	owned [][]string
	// superseded are the open ranges of failed changes whose keys this
	// one's hold (a resync --failed cut off before its re-verify): they
	// are resolved with it.
	superseded []uint64
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
		for _, rg := range open {
			if rg.Origin == checkpoint.RangeFailed && rg.Mapping == it.rg.Mapping && rg.Source == it.rg.Source &&
				rg.Where == "" && subsetKeys(rg.Keys, it.rg.Keys) {
				it.superseded = append(it.superseded, rg.ID)
			}
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
	for i := range items {
		it := &items[i]
		var results []backfill.ResyncResult
		if err := ask(http.MethodPost, "/resync", resyncRequest(it.rg, false), &results); err != nil {
			return fmt.Errorf("resyncing %s: %w", itemName(*it), err)
		}
		printResults(w, itemName(*it), results, false)
		if it.rg.Where != "" {
			if err := resyncOwned(ctx, cfg, set, it, ask, w, false); err != nil {
				return err
			}
		}
	}
	left := 0
	for _, it := range items {
		n, err := reverify(ctx, cfg, set, opts, it, logger, w)
		if err != nil && mysqlerr.Unreachable(err) {
			open := ""
			if it.rg.ID != 0 {
				open = ", and the range stays open"
			}
			return fmt.Errorf("verifying %s again: %w; its rows are in the service's stream, which applies them "+
				"once the server is back%s: run this command again then", itemName(it), err, open)
		}
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
		for _, id := range it.superseded {
			var ids []uint64
			if err := ask(http.MethodPost, "/ranges/resolve", checkpoint.RangeSelection{IDs: []uint64{id}}, &ids); err != nil {
				return fmt.Errorf("marking range %d resolved: %w", id, err)
			}
			fmt.Fprintf(w, "range %d resolved: an earlier resync of failed changes that did not end; range %d repaired its rows\n", id, it.rg.ID)
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

// subsetKeys reports whether every key of sub is in keys.
func subsetKeys(sub, keys [][]string) bool {
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[strings.Join(k, "\x00")] = true
	}
	for _, k := range sub {
		if !have[strings.Join(k, "\x00")] {
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
		items[i].rg.Reason = "failed changes " + idRuns(items[i].failed)
	}
	return items
}

// idRuns lists ids, in order, with runs of consecutive ones as "first-last"
// ("101-131, 140").
func idRuns(ids []uint64) string {
	sorted := slices.Sorted(slices.Values(ids))
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(sorted[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
