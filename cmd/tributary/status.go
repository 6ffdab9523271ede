package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newStatusCmd() *cobra.Command {
	var opts admin.StatusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Compare each source's checkpoint with its current position",
		Long: "status reads the checkpoints from the running service's /status endpoint\n" +
			"(or from the Pebble store when the service is stopped) and each source's\n" +
			"current binlog position, and prints whether it has caught up. With --wait it\n" +
			"polls until every source has caught up or --timeout passes.",
		Example: "  tributary status --config tributary.yaml\n" +
			"  # in a script: exit 0 once every source has caught up, 1 after five minutes\n" +
			"  tributary status --config tributary.yaml --wait --timeout 5m",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return checked(admin.PrintStatus(cmd.Context(), cfg, opts, logger, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait until every source has caught up")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}
