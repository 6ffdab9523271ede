package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

func newRunCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Stream every source into the sinks until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return replicator.Run(cmd.Context(), cfg, logger)
		},
	}
}

// loadConfig loads --config and builds the logger it describes.
func loadConfig() (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, nil, err
	}
	return cfg, slog.New(cfg.Log.Handler(os.Stderr)), nil
}
