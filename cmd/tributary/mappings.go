package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/config"
)

func newMappingsCmd() *cobra.Command {
	example := "  # the mappings the configuration names\n" +
		"  tributary mappings check --config tributary.yaml\n" +
		"  # files on their own, without a configuration\n" +
		"  tributary mappings check mappings/members.yaml mappings/recipes.yaml\n" +
		"  # also against the live source and target schemas\n" +
		"  tributary mappings check --live --config tributary.yaml"
	cmd := &cobra.Command{Use: "mappings", Short: "Work with table mappings", Example: example}
	var live bool
	check := &cobra.Command{
		Use:   "check [MAPPING_FILE ...]",
		Short: "Validate mapping files offline and list every problem with file, line and column",
		Long: "check validates the given mapping files, or those the configuration names.\n" +
			"Source names are checked against the configuration when it can be read.\n" +
			"With --live the mappings the configuration names are also checked against\n" +
			"the schemas of its sources and of the target of its first mysql sink.",
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			if live {
				if len(args) > 0 {
					return errors.New("--live checks the mappings the configuration names: give no files")
				}
				cfg, err := config.Load(configPath)
				if err != nil {
					return err
				}
				return checked(admin.CheckMappingsLive(cmd.Context(), cfg, cmd.OutOrStdout()))
			}
			cfg, err := config.LoadOffline(configPath)
			if err != nil {
				// Files named on the command line can be checked without a
				// configuration; without either there is nothing to check.
				if len(args) == 0 || !errors.Is(err, os.ErrNotExist) {
					return err
				}
				cfg = nil
			}
			return checked(admin.CheckMappings(cfg, args, cmd.OutOrStdout()))
		},
	}
	check.Flags().BoolVar(&live, "live", false, "also check against the live source and target schemas (needs the configuration)")
	cmd.AddCommand(check)
	return cmd
}
