package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newResyncCmd() *cobra.Command {
	var opts admin.ResyncOptions
	var ranges []string
	cmd := &cobra.Command{
		Use:   "resync (--failed | --range ID ... | --mapping NAME --where 'PREDICATE' | --mapping NAME --keys FILE) [--dry-run]",
		Short: "Read rows of a mapping again from its sources, through the running service, and verify them",
		Long: "resync repairs target rows from their sources: the failed changes (--failed), stored ranges\n" +
			"(--range ID, repeatable; tributary ranges list shows them), a mapping's rows under an SQL\n" +
			"predicate (--mapping with --where) or a mapping's target keys (--mapping with --keys FILE,\n" +
			"one key per line). The running service (http.listen) reads those rows again from the driving\n" +
			"source tables in watermark windows, as a backfill does, so each copy takes its place among the\n" +
			"live changes; target keys whose source rows are gone are deleted in the same windows (for\n" +
			"--where, the target rows the predicate matches once rewritten over the target's columns,\n" +
			"where every column it names is copied verbatim; the output says when it cannot be). Then\n" +
			"the rows are verified again: ranges are marked resolved, and repaired failed changes\n" +
			"cleared, only when that is clean. --dry-run prints what would be read and deleted and\n" +
			"changes nothing. Exit 0 repaired and clean, 1 differences remain, 2 on error.",
		Example: "  tributary resync --config tributary.yaml --range 3 --range 4\n" +
			"  tributary resync --config tributary.yaml --failed\n" +
			"  tributary resync --config tributary.yaml --mapping global.members --where 'id BETWEEN 1000 AND 1999'\n" +
			"  tributary resync --config tributary.yaml --mapping mappings/members.yaml --keys keys.tsv --dry-run",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ids, err := rangeIDs(ranges)
			if err != nil {
				return err
			}
			opts.Ranges = ids
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return checked(admin.Resync(cmd.Context(), cfg, opts, logger, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&opts.Failed, "failed", false, "repair the rows of the recorded failed changes")
	cmd.Flags().StringArrayVar(&ranges, "range", nil, "the ID of a range to repair (repeatable)")
	cmd.Flags().StringVar(&opts.Mapping, "mapping", "", "a mapping file or target table, with --where or --keys")
	cmd.Flags().StringVar(&opts.Where, "where", "", "an SQL predicate over the driving source tables' columns")
	cmd.Flags().StringVar(&opts.KeysFile, "keys", "", "a file of target keys, one per line, values separated by tabs or commas")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would be read and deleted, and change nothing")
	cmd.Flags().DurationVar(&opts.Settle, "settle", 10*time.Second, "how long the re-verify checks a difference again before it counts")
	return cmd
}
