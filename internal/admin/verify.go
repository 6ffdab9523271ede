package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-cdc/tributary/internal/backfill"
	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// VerifyOptions select what Verify compares and how it reports.
type VerifyOptions struct {
	// Mappings restricts the comparison to these mappings: a mapping
	// file's path or a target table ("schema.table"); empty means all.
	Mappings []string
	// Where is an SQL predicate over the driving source tables.
	Where string
	// Format is text (default) or json.
	Format string
	// Values prints the differing values.
	Values bool
	// Settle is how long a difference is re-checked before it counts;
	// ChunkRows the rows compared at once. Zero means the default.
	Settle    time.Duration
	ChunkRows int
	// ChecksumRows is the keys per checksum chunk of the fast path; zero
	// means the default.
	ChecksumRows int
	// MaxDifferences bounds the differences held per target; zero means
	// the default.
	MaxDifferences int
	// NoFastPath compares every table row by row.
	NoFastPath bool
	// MaxRowsPerSecond and MaxThreadsRunning pace the reads of every
	// source; nil leaves the verify settings' or, unset, each source's
	// backfill settings.
	MaxRowsPerSecond  *int
	MaxThreadsRunning *int
	// Record adds a range to repair per target with differences, of
	// their keys (origin verify), through the running service or to the
	// store.
	Record bool
}

// Verify compares the target tables of the selected mappings with their
// sources and prints the report. It needs no running service: it reads
// the sources and the target with plain queries. Differences are a
// finding (ErrFound).
func Verify(ctx context.Context, cfg *config.Config, opts VerifyOptions, logger *slog.Logger, w io.Writer) error {
	switch opts.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("--format %q: want text or json", opts.Format)
	}
	if err := backfill.CheckWhere(opts.Where); err != nil {
		return err
	}
	set, err := replicator.LoadMappings(cfg)
	if err != nil {
		return err
	}
	if set == nil {
		return errors.New("the configuration names no mappings: verify compares mapped target tables with their sources")
	}
	targets, err := selectTargets(set, opts.Mappings)
	if err != nil {
		return err
	}
	targetDSN, err := verifyTarget(cfg)
	if err != nil {
		return err
	}
	sources := make(map[string]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		sources[s.Name] = s.DSN("")
	}
	notes := newVerifyNotes(cfg, logger)
	notes.running(ctx, targets)
	rep, err := verify.Run(ctx, verify.Options{
		Set: set, Targets: targets, Sources: sources, Lookups: cfg.Lookups, TargetDSN: targetDSN,
		Where: opts.Where, ChunkRows: opts.ChunkRows, ChecksumRows: opts.ChecksumRows, Settle: opts.Settle,
		MaxDifferences: opts.MaxDifferences, Values: opts.Values, Log: logger,
		NoFastPath: opts.NoFastPath || (cfg.Verify.FastPath != nil && !*cfg.Verify.FastPath),
		Throttles:  verifyThrottles(cfg, opts),
	})
	notes.done(ctx, targets, rep, err)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		err = rep.WriteJSON(w)
	} else {
		err = rep.WriteText(w)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if opts.Record {
		notes := w
		if opts.Format == "json" {
			notes = io.Discard // the report is the output; the log has the ranges
		}
		if err := recordDifferences(ctx, cfg, rep, notes, logger); err != nil {
			return fmt.Errorf("recording the differences as ranges: %w", err)
		}
	}
	if n := rep.Differences(); n > 0 {
		return found("found %s between the target and its sources", plural(n, "difference", "differences"))
	}
	return nil
}

// verifyThrottles returns the pace of each source's reads: the flags',
// else the verify settings', else the source's backfill settings.
func verifyThrottles(cfg *config.Config, opts VerifyOptions) map[string]verify.Throttle {
	pick := func(flag, setting *int, backfill int) int {
		switch {
		case flag != nil:
			return *flag
		case setting != nil:
			return *setting
		}
		return backfill
	}
	out := make(map[string]verify.Throttle, len(cfg.Sources))
	for _, s := range cfg.Sources {
		out[s.Name] = verify.Throttle{
			MaxRowsPerSecond:  pick(opts.MaxRowsPerSecond, cfg.Verify.MaxRowsPerSecond, s.BackfillMaxRowsPerSecond),
			MaxThreadsRunning: pick(opts.MaxThreadsRunning, cfg.Verify.MaxThreadsRunning, s.BackfillMaxThreadsRunning),
		}
	}
	return out
}

// selectTargets returns the target tables of the named mappings, in load
// order; every mapping without names.
func selectTargets(set *mapping.Set, names []string) ([]string, error) {
	var out, unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(set.Mappings(), func(f mapping.Feed) bool { return namesMapping(f, n) }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: neither a loaded mapping file nor a target table of one", strings.Join(unknown, ", "))
	}
	for _, f := range set.Mappings() {
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return namesMapping(f, n) }) {
			out = append(out, f.Target)
		}
	}
	return out, nil
}

// namesMapping reports whether name names the mapping f: its target table or
// its file.
func namesMapping(f mapping.Feed, name string) bool {
	if name == f.Target {
		return true
	}
	a, err1 := filepath.Abs(name)
	b, err2 := filepath.Abs(f.File)
	return err1 == nil && err2 == nil && a == b
}

// verifyTarget returns the DSN of the database verify compares: the
// verify.target block's, else the first mysql sink's.
func verifyTarget(cfg *config.Config) (string, error) {
	if t := cfg.Verify.Target; t != nil {
		return t.DSN(), nil
	}
	for _, s := range cfg.Sinks {
		if s.Type == config.SinkMySQL && s.MySQL != nil {
			return s.MySQL.DSN(), nil
		}
	}
	return "", errors.New("no database to verify: configure a sink of type mysql or a verify.target block")
}

// differenceRanges returns a range to repair per target with differences:
// the keys of its differing rows, as text.
func differenceRanges(rep *verify.Report) []checkpoint.Range {
	var out []checkpoint.Range
	for _, m := range rep.Mappings {
		if len(m.Diffs) == 0 {
			continue
		}
		rg := checkpoint.Range{Mapping: m.Target, Origin: checkpoint.RangeVerify,
			Reason: fmt.Sprintf("verify found %d missing, %d extra and %d different rows", m.Missing, m.Extra, m.Different)}
		if m.Truncated {
			rg.Reason += " (the first of more)"
		}
		for _, d := range m.Diffs {
			key := make([]string, len(d.Key))
			for i, f := range d.Key {
				key[i] = fmt.Sprint(f.Value)
			}
			rg.Keys = append(rg.Keys, key)
		}
		out = append(out, rg)
	}
	return out
}

// recordDifferences adds the ranges of rep's differences, through the
// running service when one answers, else to the store, and says so on w.
func recordDifferences(ctx context.Context, cfg *config.Config, rep *verify.Report, w io.Writer, logger *slog.Logger) error {
	for _, rg := range differenceRanges(rep) {
		added, err := addRange(ctx, cfg, rg)
		if err != nil {
			return err
		}
		logger.Info("recorded the differences as a range to repair", "range", added.ID, "target", added.Mapping, "keys", len(added.Keys))
		fmt.Fprintf(w, "recorded range %d: %s %s (tributary ranges show %d)\n", added.ID, added.Mapping, rangeRows(added), added.ID)
	}
	return nil
}
