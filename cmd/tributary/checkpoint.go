package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newCheckpointCmd() *cobra.Command {
	show := "  tributary checkpoint show --config tributary.yaml"
	set := "  # MariaDB: after transaction 0-1-1500 (MySQL: --gtid 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-1500)\n" +
		"  tributary checkpoint set --config tributary.yaml --source jp-accounts --gtid 0-1-1500\n" +
		"  # by binlog file and offset\n" +
		"  tributary checkpoint set --config tributary.yaml --source jp-accounts --file mysql-bin.000042 --pos 4\n" +
		"  # after a stopped DMS task: its RecoveryCheckpoint (add --dms-stream-position with the last consumed record's)\n" +
		"  tributary checkpoint set --config tributary.yaml --source jp-accounts --from-dms 'checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93'"
	reset := "  # after the checkpoint was purged from the server's binary logs: go on from the current\n" +
		"  # position and copy the source's tables on the next start\n" +
		"  tributary checkpoint reset --config tributary.yaml --source jp-accounts --backfill"
	cmd := &cobra.Command{Use: "checkpoint", Short: "Show, set or reset source positions (with the service stopped)",
		Example: show + "\n" + set + "\n" + reset}
	cmd.AddCommand(&cobra.Command{
		Use:     "show",
		Short:   "Print every source's checkpointed position",
		Example: show,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadOfflineConfig()
			if err != nil {
				return err
			}
			return admin.ShowCheckpoints(cfg, cmd.OutOrStdout())
		},
	})
	var spec admin.CheckpointSpec
	setCmd := &cobra.Command{
		Use:     "set",
		Short:   "Set a source's position: --gtid SET, --file NAME --pos N, or after a DMS task with --from-dms",
		Example: set,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spec.Source == "" {
				return errors.New("--source is required")
			}
			dms := spec.FromDMS != "" || spec.DMSStreamPosition != ""
			given := 0
			for _, set := range []bool{spec.GTIDSet != "", spec.File != "", dms} {
				if set {
					given++
				}
			}
			if given != 1 {
				return errors.New("give one of --gtid, --file with --pos, or --from-dms and/or --dms-stream-position")
			}
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.SetCheckpoint(cmd.Context(), cfg, spec, logger, cmd.OutOrStdout())
		},
	}
	setCmd.Flags().StringVar(&spec.Source, "source", "", "source name from the configuration")
	setCmd.Flags().StringVar(&spec.GTIDSet, "gtid", "", "GTID set executed so far (MySQL uuid:1-5 or MariaDB 0-1-5 syntax)")
	setCmd.Flags().StringVar(&spec.File, "file", "", "binlog file name")
	setCmd.Flags().Uint32Var(&spec.Pos, "pos", 4, "binlog offset of the next event")
	setCmd.Flags().StringVar(&spec.FromDMS, "from-dms", "",
		"a stopped DMS task's RecoveryCheckpoint (checkpoint:V1#...) or CDC position file:offset; goes on after it")
	setCmd.Flags().StringVar(&spec.DMSStreamPosition, "dms-stream-position", "",
		"metadata stream-position of the last record the stream's consumer took; goes on after its transaction\n"+
			"when it is the transaction's last record, else at the transaction's start (its records come again)")
	cmd.AddCommand(setCmd)
	cmd.AddCommand(newCheckpointResetCmd(reset))
	return cmd
}

func newCheckpointResetCmd(example string) *cobra.Command {
	var spec admin.ResetSpec
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Move a source to its current position; with --backfill, copy its tables on the next start",
		Long: "reset sets a source's checkpoint to its server's current position, which is how a source whose\n" +
			"checkpoint was purged from the server's binary logs goes on. With --backfill it also saves a fresh\n" +
			"backfill of every table the source feeds (those backfill: initial would copy), checked first, so\n" +
			"the next tributary run streams from the current position and copies those tables meanwhile: the\n" +
			"full load and change capture restart of one source. Run it with the service stopped.",
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spec.Source == "" {
				return errors.New("--source is required")
			}
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			return admin.ResetCheckpoint(cmd.Context(), cfg, spec, logger, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&spec.Source, "source", "", "source name from the configuration")
	cmd.Flags().BoolVar(&spec.Backfill, "backfill", false, "also copy the source's tables on the next start")
	return cmd
}
