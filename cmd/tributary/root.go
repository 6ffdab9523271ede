package main

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// configPath is the --config flag shared by the subcommands that need it.
var configPath string

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tributary",
		Short: "Replicate MySQL binlog changes to MySQL and Kinesis",
		Long: "Replicate MySQL binlog changes to MySQL and Kinesis.\n\n" +
			"Exit codes: 0 success; 1 a check ran and found something (config check and\n" +
			"mappings check found problems, status --wait timed out); 2 any other error\n" +
			"(bad usage, a server that cannot be reached, a stream stopped by an error).",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(debug.ReadBuildInfo()),
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "tributary.yaml", "service configuration file")
	root.AddCommand(newRunCmd(), newConfigCmd(), newCheckpointCmd(), newStatusCmd(), newMappingsCmd(), newMigrateCmd(), newFailedCmd(), newBackfillCmd())
	return root
}
