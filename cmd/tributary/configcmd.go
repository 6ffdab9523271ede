package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/config"
)

func newConfigCmd() *cobra.Command {
	example := "  tributary config check --config tributary.yaml"
	cmd := &cobra.Command{Use: "config", Short: "Work with the service configuration", Example: example}
	cmd.AddCommand(&cobra.Command{
		Use:     "check",
		Short:   "Validate the configuration file and list every problem",
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := config.Load(configPath); err != nil {
				return checked(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", configPath)
			return nil
		},
	})
	return cmd
}
