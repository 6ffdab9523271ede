package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/deploy/local/demo"
	"github.com/tributary-cdc/tributary/deploy/local/loadgen"
)

func newLoadgenCmd() *cobra.Command {
	var cfg loadgen.Config
	var stackDir string
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Run a mixed write workload on the local demo stack's source clusters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := demo.ReadEnv(filepath.Join(stackDir, demo.EnvFile))
			if err != nil {
				return fmt.Errorf("reading the stack (run make up first): %w", err)
			}
			cfg.AccountsDSNs, cfg.RecipesDSN = env.WriterDSNs()
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
			stats, err := loadgen.Run(cmd.Context(), cfg)
			fmt.Fprint(cmd.OutOrStdout(), stats.String())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&stackDir, "stack", ".local", "directory of the local stack (holds stack.env)")
	f.Float64Var(&cfg.Rate, "rate", 0, "transactions per second; 0 is as fast as possible")
	f.DurationVar(&cfg.Duration, "duration", 0, "stop after this long; 0 runs until interrupted or --transactions")
	f.IntVar(&cfg.Transactions, "transactions", 0, "stop after this many transactions; 0 is no limit")
	f.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	f.IntVar(&cfg.Workers, "workers", loadgen.DefaultWorkers, "concurrent writers")
	f.IntVar(&cfg.MaxLOB, "max-lob", loadgen.DefaultMaxLOB, "largest LOB value in bytes")
	return cmd
}
