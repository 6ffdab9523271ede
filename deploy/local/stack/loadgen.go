package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"

	"github.com/tributary-cdc/tributary/deploy/local/demo"
	"github.com/tributary-cdc/tributary/deploy/local/loadgen"
)

const loadgenUsage = `usage: stack [-dir DIR] loadgen [flags]

Writes a mixed workload to the source clusters of the stack in DIR until
-duration, -transactions or SIGINT, then prints what it wrote.

`

// runLoadgen parses the loadgen command's flags and runs the load against
// the source clusters listed in dir's stack.env.
func runLoadgen(ctx context.Context, dir string, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	var cfg loadgen.Config
	fs := flag.NewFlagSet("stack loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, loadgenUsage)
		fs.PrintDefaults()
	}
	fs.Float64Var(&cfg.Rate, "rate", 0, "transactions per second; 0 is as fast as possible")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long; 0 runs until interrupted or -transactions")
	fs.IntVar(&cfg.Transactions, "transactions", 0, "stop after this many transactions; 0 is no limit")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.IntVar(&cfg.Workers, "workers", loadgen.DefaultWorkers, "concurrent writers")
	fs.IntVar(&cfg.MaxLOB, "max-lob", loadgen.DefaultMaxLOB, "largest LOB value in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("loadgen takes no arguments, got %q", fs.Args())
	}
	env, err := demo.ReadEnv(filepath.Join(dir, demo.EnvFile))
	if err != nil {
		return fmt.Errorf("%w (run make up first)", err)
	}
	cfg.AccountsDSNs, cfg.RecipesDSN = env.WriterDSNs()
	// An empty DSN would write to whatever listens on the default port.
	if slices.Contains(cfg.AccountsDSNs, "") || cfg.RecipesDSN == "" {
		return errors.New("a source DSN is missing from the stack env (run make up first)")
	}
	cfg.Logger = logger
	stats, err := loadgen.Run(ctx, cfg)
	fmt.Fprint(stdout, stats.String())
	return err
}
