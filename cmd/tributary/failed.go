package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newFailedCmd() *cobra.Command {
	list := "  tributary failed list --config tributary.yaml"
	show := "  # the operation with ID 7 in the list, its values included\n" +
		"  tributary failed show 7 --config tributary.yaml"
	cmd := &cobra.Command{Use: "failed", Short: "Read target operations that failed permanently (with the service stopped)",
		Example: list + "\n" + show}
	cmd.AddCommand(&cobra.Command{
		Use:     "list",
		Short:   "List the recorded failed operations",
		Example: list,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ListFailed(cfg, cmd.OutOrStdout())
		},
	}, &cobra.Command{
		Use:     "show ID",
		Short:   "Print one failed operation in full, values included",
		Example: show,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("the ID of a failed change is a whole number, as tributary failed list prints it, not %q", args[0])
			}
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ShowFailed(cfg, id, cmd.OutOrStdout())
		},
	})
	return cmd
}
