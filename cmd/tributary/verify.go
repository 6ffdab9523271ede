package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newVerifyCmd() *cobra.Command {
	var opts admin.VerifyOptions
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Compare the target tables with what the mappings make of the sources",
		Long: "verify reads the driving source tables of each mapping in key chunks, turns every row into\n" +
			"the target row the mappings give (merged columns and lookups included), reads the same keys\n" +
			"from the target and compares them; it also walks the target for rows no source row gives.\n" +
			"A difference is checked again for --settle before it is reported, so changes the stream is\n" +
			"still carrying are not. It needs no running service. Exit 0 when everything matches, 1 when\n" +
			"differences were found, 2 on error. Values are printed only with --show-values.\n\n" +
			"A mapping that only copies the columns of one source table keyed by one integer column is\n" +
			"compared by checksums first: both servers compute COUNT(*) and BIT_XOR of a row hash per key\n" +
			"chunk, and only chunks that differ are compared row by row (--no-fast-path compares every row).\n" +
			"The reads of each source are paced as its backfill is (--max-rows-per-second,\n" +
			"--max-threads-running), and the report says the queries, rows and throttled time per source.",
		Example: "  tributary verify --config tributary.yaml\n" +
			"  tributary verify --config tributary.yaml --mapping global.members --format json\n" +
			"  tributary verify --config tributary.yaml --mapping mappings/recipes.yaml --where 'id >= 1000' --show-values\n" +
			"  tributary verify --config tributary.yaml --no-fast-path --max-rows-per-second 5000 --max-threads-running 40",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for name, to := range map[string]**int{"max-rows-per-second": &opts.MaxRowsPerSecond, "max-threads-running": &opts.MaxThreadsRunning} {
				if !cmd.Flags().Changed(name) {
					continue
				}
				n, _ := cmd.Flags().GetInt(name)
				if n < 0 {
					return fmt.Errorf("--%s must be 0 (off) or more", name)
				}
				*to = &n
			}
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return checked(admin.Verify(cmd.Context(), cfg, opts, logger, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().StringArrayVar(&opts.Mappings, "mapping", nil, "a mapping file or target table to verify (repeatable; default all)")
	cmd.Flags().StringVar(&opts.Where, "where", "", "an SQL predicate restricting the driving source rows compared")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "text or json")
	cmd.Flags().BoolVar(&opts.Values, "show-values", false, "print the differing values (never logged)")
	cmd.Flags().DurationVar(&opts.Settle, "settle", 10*time.Second, "how long a difference is checked again before it is reported")
	cmd.Flags().IntVar(&opts.ChunkRows, "chunk-rows", 1000, "source rows compared at once")
	cmd.Flags().IntVar(&opts.ChecksumRows, "checksum-rows", 10000, "source keys per checksum chunk of the fast path")
	cmd.Flags().IntVar(&opts.MaxDifferences, "max-differences", 10000, "stop comparing a target after this many differences")
	cmd.Flags().BoolVar(&opts.NoFastPath, "no-fast-path", false, "compare every row, even of tables the chunk checksums could compare")
	cmd.Flags().Int("max-rows-per-second", 0, "cap the rows read per second from each source (default: verify.max_rows_per_second, else the source's backfill_max_rows_per_second)")
	cmd.Flags().Int("max-threads-running", 0, "pause while a source's Threads_running is above this (default: verify.max_threads_running, else the source's backfill_max_threads_running)")
	cmd.Flags().BoolVar(&opts.Record, "record", false, "add the differing keys as a range to repair per target (tributary ranges list shows them)")
	return cmd
}
