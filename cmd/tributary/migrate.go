package main

import (
	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newMigrateCmd() *cobra.Command {
	run := func(status bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.Migrate(cmd.Context(), cfg, status, logger, cmd.OutOrStdout())
		}
	}
	cmd := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the target schema migrations of the configuration's migrations: folder to the mysql sink's database",
		Example: "  tributary migrate --config tributary.yaml",
		Args:    cobra.NoArgs,
		RunE:    run(false),
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "status",
		Short:   "List the target migrations and whether each is applied",
		Example: "  tributary migrate status --config tributary.yaml",
		Args:    cobra.NoArgs,
		RunE:    run(true),
	})
	return cmd
}
