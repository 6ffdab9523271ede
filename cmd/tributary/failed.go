package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newFailedCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "failed", Short: "Read target operations that failed permanently (with the service stopped)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the recorded failed operations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.ListFailed(cfg, cmd.OutOrStdout())
		},
	}, &cobra.Command{
		Use:   "show ID",
		Short: "Print one failed operation in full, values included",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return err
			}
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.ShowFailed(cfg, id, cmd.OutOrStdout())
		},
	})
	return cmd
}
