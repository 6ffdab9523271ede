package main

import (
	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newBackfillCmd() *cobra.Command {
	var opts admin.BackfillOptions
	cmd := &cobra.Command{
		Use:   "backfill",
		Short: "Ask the running service to copy the rows its source tables already hold",
		Long: "backfill asks the running service (through http.listen) to copy the rows of the tables its\n" +
			"mappings read into every sink, in chunks merged into each source's stream, while it keeps\n" +
			"streaming. --source and --mapping (a mapping file or a target table) narrow the tables,\n" +
			"--where the rows (an SQL predicate, ANDed into each chunk's query). Every table is checked\n" +
			"before anything starts; progress shows in tributary status.",
		Example: "  tributary backfill --config tributary.yaml\n" +
			"  tributary backfill --config tributary.yaml --source jp-recipes --mapping global.cooksnaps\n" +
			"  tributary backfill --config tributary.yaml --mapping mappings/members.yaml --where 'id >= 1000'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.Backfill(cmd.Context(), cfg, opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&opts.Sources, "source", nil, "a source to backfill (repeatable; default every source)")
	cmd.Flags().StringArrayVar(&opts.Mappings, "mapping", nil, "a mapping file or target table whose source tables to backfill (repeatable; default all)")
	cmd.Flags().StringVar(&opts.Where, "where", "", "an SQL predicate restricting the rows copied")
	return cmd
}
