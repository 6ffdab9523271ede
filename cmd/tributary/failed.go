package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newFailedCmd() *cobra.Command {
	list := "  tributary failed list --config tributary.yaml"
	show := "  # the operation with ID 7 in the list, its values included\n" +
		"  tributary failed show 7 --config tributary.yaml"
	retry := "  # after widening the column the target refused a value of\n" +
		"  tributary failed retry 7 8 --config tributary.yaml\n" +
		"  tributary failed retry --all --config tributary.yaml"
	clear := "  tributary failed clear 7 --config tributary.yaml\n" +
		"  tributary failed clear --target global.users --config tributary.yaml"
	cmd := &cobra.Command{Use: "failed", Short: "Read, apply again or clear the target operations that failed permanently",
		Long: "The mysql sink records the operations its target refuses for good under on_error: record.\n" +
			"These commands ask the running service through http.listen when one answers there, and\n" +
			"read the store directly when the service is stopped.",
		Example: list + "\n" + show + "\n" + retry + "\n" + clear}
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
			return admin.ListFailed(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}, &cobra.Command{
		Use:     "show ID",
		Short:   "Print one failed operation in full, values included",
		Example: show,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := failedIDs(args)
			if err != nil {
				return err
			}
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ShowFailed(cmd.Context(), cfg, ids[0], cmd.OutOrStdout())
		},
	}, newFailedRetryCmd(retry), newFailedClearCmd(clear))
	return cmd
}

func newFailedRetryCmd(example string) *cobra.Command {
	var all bool
	var target string
	cmd := &cobra.Command{
		Use:   "retry [ID ... | --all | --target T]",
		Short: "Apply failed operations again, in the order they were recorded",
		Long: "retry applies the recorded upserts and deletes again through the mysql sink, in the order\n" +
			"they were recorded: each that applies is deleted, each that fails again is kept with its new\n" +
			"error. A record is refused, and kept, when a later change of the same row was applied after\n" +
			"it failed (list shows it superseded): applying it would overwrite that change. Updates are\n" +
			"refused too: their records lack the conditions they were applied under. With the service\n" +
			"stopped, retry opens the target itself with the sink's settings. Exit code 1 when any is kept.",
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := failedSelection(args, all, target)
			if err != nil {
				return err
			}
			// Offline: a running service applies the records itself, and
			// with it stopped the sink's password is checked when it is
			// needed.
			cfg, logger, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return checked(admin.RetryFailed(cmd.Context(), cfg, sel, logger, cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "apply every recorded failed operation again")
	cmd.Flags().StringVar(&target, "target", "", "apply the failed operations of this target table (schema.table) again")
	return cmd
}

func newFailedClearCmd(example string) *cobra.Command {
	var all bool
	var target string
	cmd := &cobra.Command{
		Use:     "clear [ID ... | --all | --target T]",
		Short:   "Delete failed operations from the record",
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := failedSelection(args, all, target)
			if err != nil {
				return err
			}
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ClearFailed(cmd.Context(), cfg, sel, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "delete every recorded failed operation")
	cmd.Flags().StringVar(&target, "target", "", "delete the failed operations of this target table (schema.table)")
	return cmd
}

// failedSelection builds the selection of retry and clear: IDs, --all or
// --target, exactly one.
func failedSelection(args []string, all bool, target string) (admin.FailedSelection, error) {
	ids, err := failedIDs(args)
	if err != nil {
		return admin.FailedSelection{}, err
	}
	n := 0
	for _, set := range []bool{len(ids) > 0, all, target != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		if n == 0 {
			return admin.FailedSelection{}, errors.New("give the IDs of failed changes (tributary failed list prints them), --all or --target, one of them")
		}
		return admin.FailedSelection{}, errors.New("give the IDs of failed changes (tributary failed list prints them), --all or --target, only one of them")
	}
	return admin.FailedSelection{IDs: ids, All: all, Target: target}, nil
}

// failedIDs parses the IDs of failed changes.
func failedIDs(args []string) ([]uint64, error) {
	ids := make([]uint64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("the ID of a failed change is a whole number, as tributary failed list prints it, not %q", a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
