package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

func newMappingsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mappings", Short: "Work with table mappings"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check [MAPPING_FILE ...]",
		Short: "Validate mapping files offline and list every problem with file, line and column",
		Long: "check validates the given mapping files, or those the configuration names.\n" +
			"Source names are checked against the configuration when it can be read.",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				// Files named on the command line can be checked without a
				// configuration; without either there is nothing to check.
				if len(args) == 0 || !errors.Is(err, os.ErrNotExist) {
					return err
				}
				cfg = nil
			}
			return replicator.CheckMappings(cfg, args, cmd.OutOrStdout())
		},
	})
	return cmd
}
