package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
)

func newDMSCmd() *cobra.Command {
	example := "  tributary dms compare --ours tributary.jsonl --theirs dms.jsonl\n" +
		"  tributary dms compare --ours tributary.jsonl --theirs dms.jsonl --ignore metadata.transaction-record-id\n" +
		"  tributary dms compare --ours tributary.jsonl --theirs dms.jsonl --until 'checkpoint:V1#...'"
	cmd := &cobra.Command{Use: "dms", Short: "Tools for moving from AWS DMS (see the README's Moving from DMS)",
		Example: example}
	var spec admin.DMSCompareSpec
	compare := &cobra.Command{
		Use:   "compare",
		Short: "Compare captures of Tributary's dms stream and the DMS stream it replaces",
		Long: "compare reads two captures of one window of source changes, one record per line (the record's\n" +
			"JSON, or a Kinesis record with the record base64 in Data, as aws kinesis get-records returns it),\n" +
			"and reports the records of one that have no equal record in the other, leaving out the fields\n" +
			"that legitimately differ (timestamp, commit-timestamp, transaction-id, prev-transaction-id,\n" +
			"stream-position, a control record's task id). A record standing for the same change (record type,\n" +
			"operation, table and key) is reported with the fields that differ. Exit 0 when the captures carry\n" +
			"the same records, 1 when they do not. --until leaves out of both captures the transactions after\n" +
			"the point where the DMS task stopped, for a capture of Tributary's stream that went on past it.",
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spec.Ours == "" || spec.Theirs == "" {
				return errors.New("--ours and --theirs are required")
			}
			return checked(admin.CompareDMS(spec, cmd.OutOrStdout()))
		},
	}
	compare.Flags().StringVar(&spec.Ours, "ours", "", "capture of Tributary's dms stream (JSON lines)")
	compare.Flags().StringVar(&spec.Theirs, "theirs", "", "capture of the DMS stream (JSON lines)")
	compare.Flags().StringVar(&spec.Until, "until", "",
		"a stopped DMS task's RecoveryCheckpoint (or file:offset): compare only the transactions that began before it")
	compare.Flags().StringSliceVar(&spec.Ignore, "ignore", nil, "more fields to leave out, as dotted paths (metadata.transaction-record-id)")
	compare.Flags().StringSliceVar(&spec.Compare, "compare", nil, "fields left out by default to compare after all (metadata.commit-timestamp)")
	cmd.AddCommand(compare)
	return cmd
}
