package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newCheckpointCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "checkpoint", Short: "Show or set source positions (with the service stopped)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print every source's checkpointed position",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.ShowCheckpoints(cfg, cmd.OutOrStdout())
		},
	})
	var set admin.CheckpointSpec
	setCmd := &cobra.Command{
		Use:   "set",
		Short: "Set a source's position: --gtid SET, or --file NAME --pos N",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if set.Source == "" {
				return errors.New("--source is required")
			}
			if (set.GTIDSet == "") == (set.File == "") {
				return errors.New("give either --gtid or --file with --pos")
			}
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.SetCheckpoint(cmd.Context(), cfg, set, logger, cmd.OutOrStdout())
		},
	}
	setCmd.Flags().StringVar(&set.Source, "source", "", "source name from the configuration")
	setCmd.Flags().StringVar(&set.GTIDSet, "gtid", "", "GTID set executed so far (MySQL uuid:1-5 or MariaDB 0-1-5 syntax)")
	setCmd.Flags().StringVar(&set.File, "file", "", "binlog file name")
	setCmd.Flags().Uint32Var(&set.Pos, "pos", 4, "binlog offset of the next event")
	cmd.AddCommand(setCmd)
	return cmd
}
