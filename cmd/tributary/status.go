package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newStatusCmd() *cobra.Command {
	var opts admin.StatusOptions
	var waitGTID []string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Compare each source's checkpoint with its current position",
		Long: "status reads the checkpoints from the running service's /status endpoint\n" +
			"(or from the Pebble store when the service is stopped) and each source's\n" +
			"current binlog position, and prints whether it has caught up. With --wait it\n" +
			"polls until every source has caught up or --timeout passes.",
		Example: "  tributary status --config tributary.yaml\n" +
			"  # in a script: exit 0 once every source has caught up, 1 after five minutes\n" +
			"  tributary status --config tributary.yaml --wait --timeout 5m\n" +
			"  # the cutover gate: exit 0 once every sink has applied the source up to that GTID set\n" +
			"  tributary status --config tributary.yaml --wait-gtid jp-accounts=0-1-4711 --timeout 10m",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Gates, err = gates(waitGTID); err != nil {
				return err
			}
			opts.Wait = opts.Wait || len(opts.Gates) > 0
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return checked(admin.PrintStatus(cmd.Context(), cfg, opts, logger, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringArrayVar(&waitGTID, "wait-gtid", nil,
		"SOURCE=GTID_SET: wait until every sink has applied SOURCE up to the set (repeatable; the cutover gate)")
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait until every source has caught up")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}

// gates parses --wait-gtid values, SOURCE=GTID_SET.
func gates(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		source, set, ok := strings.Cut(v, "=")
		if !ok || source == "" || set == "" {
			return nil, fmt.Errorf("--wait-gtid %q: want SOURCE=GTID_SET, for example jp-accounts=0-1-4711", v)
		}
		out[source] = set
	}
	return out, nil
}
