package main

import (
	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newReplayCmd() *cobra.Command {
	var opts admin.ReplayOptions
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Bring the rows a window of the binlog touched up to date in some sinks, after a mapping fix",
		Long: "replay asks the running service (through http.listen) to redo, in the named sinks only, what a\n" +
			"window of one source's retained binlog did: after a mapping bug is fixed (and the mappings\n" +
			"reloaded), the rows the window touched are read again from the source, mapped by the running\n" +
			"mappings and merged into the live stream for those sinks, in chunks between backfill\n" +
			"watermarks, so that each row ends as the source holds it now; a row gone from the source is\n" +
			"deleted. The window's old images are never written again (they would regress rows the stream\n" +
			"has changed since), the checkpoint is not moved and the other sinks get nothing.\n" +
			"--from and --to are GTID sets (the window starts after --from and ends with --to),\n" +
			"FILE:POS offsets (transactions beginning at or after --from and before --to) or RFC 3339\n" +
			"times (transactions committed from --from through --to). The window must still be in the\n" +
			"source's binary logs and must not reach beyond its current position. --mapping narrows the\n" +
			"tables; --dry-run reads the window and prints the changes and rows per table, writing\n" +
			"nothing. The command returns once the sinks hold the rows durably; Ctrl-C stops it, and\n" +
			"running it again finishes it.",
		Example: "  tributary replay --config tributary.yaml --source jp-recipes --from 0-1-1000 --to 0-1-2000 --sink target\n" +
			"  tributary replay --config tributary.yaml --source jp-recipes --from mysql-bin.000042:4 --to mysql-bin.000042:90211 --sink target --dry-run\n" +
			"  tributary replay --config tributary.yaml --source jp-recipes --from 2026-03-01T10:00:00Z --to 2026-03-01T11:30:00Z --mapping global.cooksnaps --sink target",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.Replay(cmd.Context(), cfg, opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.Source, "source", "", "the source whose binlog window to replay (required)")
	cmd.Flags().StringVar(&opts.From, "from", "", "where the window starts: a GTID set, FILE:POS or an RFC 3339 time (required)")
	cmd.Flags().StringVar(&opts.To, "to", "", "where the window ends, given the same way as --from (required)")
	cmd.Flags().StringArrayVar(&opts.Sinks, "sink", nil, "a sink to replay into (repeatable, at least one; the others are left alone)")
	cmd.Flags().StringArrayVar(&opts.Mappings, "mapping", nil, "a mapping file or target table whose source tables to replay (repeatable; default all)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "read the window and print what would be replayed, writing nothing")
	for _, f := range []string{"source", "from", "to", "sink"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
