package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newRangesCmd() *cobra.Command {
	add := "  tributary ranges add --mapping global.users --where 'id BETWEEN 1000 AND 1999' --reason 'name column widened' --config tributary.yaml\n" +
		"  # keys.tsv: one target key per line, its values separated by tabs or commas\n" +
		"  tributary ranges add --mapping mappings/users.yaml --source jp --keys keys.tsv --config tributary.yaml"
	list := "  tributary ranges list --config tributary.yaml\n" +
		"  tributary ranges list --all --config tributary.yaml"
	show := "  tributary ranges show 3 --config tributary.yaml"
	clear := "  tributary ranges clear 3 4 --config tributary.yaml\n" +
		"  tributary ranges clear --resolved --config tributary.yaml"
	cmd := &cobra.Command{Use: "ranges", Short: "Record, list and clear ranges of target rows to repair from their source",
		Long: "A range names rows of one mapping whose target rows must be read again from the source:\n" +
			"those an SQL predicate selects, or those with the keys listed. Operators add them by hand;\n" +
			"a verification and the failed changes add them too. These commands ask the running service\n" +
			"through http.listen when one answers there, and use the store directly when it is stopped.",
		Example: add + "\n" + list + "\n" + show + "\n" + clear}
	var opts admin.RangeOptions
	addCmd := &cobra.Command{
		Use:     "add --mapping NAME (--where PREDICATE | --keys FILE)",
		Short:   "Record a range of rows to repair",
		Example: add,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.AddRange(cmd.Context(), cfg, opts, cmd.OutOrStdout())
		},
	}
	addCmd.Flags().StringVar(&opts.Mapping, "mapping", "", "the mapping: a mapping file or its target table (required)")
	addCmd.Flags().StringVar(&opts.Source, "source", "", "only the rows of this source (default every source the mapping reads)")
	addCmd.Flags().StringVar(&opts.Where, "where", "", "an SQL predicate over the source table's columns, as backfill --where takes it")
	addCmd.Flags().StringVar(&opts.KeysFile, "keys", "", "a file of target keys: one per line, values separated by tabs or commas")
	addCmd.Flags().StringVar(&opts.Reason, "reason", "", "why the rows need repair, in words")
	var all bool
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List the open ranges (--all: resolved ones too)",
		Example: list,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ListRanges(cmd.Context(), cfg, all, cmd.OutOrStdout())
		},
	}
	listCmd.Flags().BoolVar(&all, "all", false, "list the resolved ranges too")
	var sel admin.RangeSelection
	clearCmd := &cobra.Command{
		Use:     "clear (ID ... | --resolved | --all)",
		Short:   "Delete ranges",
		Example: clear,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := rangeIDs(args)
			if err != nil {
				return err
			}
			sel.IDs = ids
			n := 0
			for _, set := range []bool{len(ids) > 0, sel.Resolved, sel.All} {
				if set {
					n++
				}
			}
			if n != 1 {
				return errors.New("give the IDs of ranges (tributary ranges list prints them), --resolved or --all, one of them")
			}
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ClearRanges(cmd.Context(), cfg, sel, cmd.OutOrStdout())
		},
	}
	clearCmd.Flags().BoolVar(&sel.Resolved, "resolved", false, "delete the resolved ranges")
	clearCmd.Flags().BoolVar(&sel.All, "all", false, "delete every range")
	cmd.AddCommand(addCmd, listCmd, &cobra.Command{
		Use:     "show ID",
		Short:   "Print one range in full, its keys included",
		Example: show,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := rangeIDs(args)
			if err != nil {
				return err
			}
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ShowRange(cmd.Context(), cfg, ids[0], cmd.OutOrStdout())
		},
	}, clearCmd)
	return cmd
}

// rangeIDs parses the IDs of ranges.
func rangeIDs(args []string) ([]uint64, error) {
	ids := make([]uint64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("the ID of a range is a whole number, as tributary ranges list prints it, not %q", a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
