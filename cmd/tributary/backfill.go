package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newBackfillCmd() *cobra.Command {
	var opts admin.BackfillOptions
	var detach, follow bool
	cmd := &cobra.Command{
		Use:   "backfill",
		Short: "Ask the running service to copy the rows its source tables already hold",
		Long: "backfill asks the running service (through http.listen) to copy the rows of the tables its\n" +
			"mappings read into every sink, in chunks merged into each source's stream, while it keeps\n" +
			"streaming. --source and --mapping (a mapping file or a target table) narrow the tables,\n" +
			"--where the rows (an SQL predicate, ANDed into each chunk's query). Every table is checked\n" +
			"before anything starts. On a terminal the command then follows the copy with a progress bar\n" +
			"per table (rows, rate, time left) until every table is done; Ctrl-C stops following, not\n" +
			"the backfill. --detach returns at once; elsewhere it returns at once unless --follow.\n" +
			"tributary status shows the progress too.",
		Example: "  tributary backfill --config tributary.yaml\n" +
			"  tributary backfill --config tributary.yaml --source jp-recipes --mapping global.cooksnaps\n" +
			"  # --where is taken by every table the mapping reads: one of a single table\n" +
			"  tributary backfill --config tributary.yaml --mapping mappings/cooksnaps.yaml --where 'id >= 1000'\n" +
			"  # in a script: return once every table is copied\n" +
			"  tributary backfill --config tributary.yaml --follow",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if detach && follow {
				return errors.New("--detach and --follow contradict each other: give one")
			}
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			opts.TTY = out == os.Stdout && isTerminal(os.Stdout)
			opts.Follow = follow || (opts.TTY && !detach)
			return admin.Backfill(cmd.Context(), cfg, opts, out)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "return once the backfill has started, without following its progress")
	cmd.Flags().BoolVar(&follow, "follow", false, "follow the progress until every table is done even when the output is not a terminal")
	cmd.Flags().StringArrayVar(&opts.Sources, "source", nil, "a source to backfill (repeatable; default every source)")
	cmd.Flags().StringArrayVar(&opts.Mappings, "mapping", nil, "a mapping file or target table whose source tables to backfill (repeatable; default all)")
	cmd.Flags().StringVar(&opts.Where, "where", "", "an SQL predicate restricting the rows copied")
	return cmd
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
