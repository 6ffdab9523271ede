package main

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configPath is the --config flag shared by the subcommands that need it.
var configPath string

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tributary",
		Short: "Replicate MySQL binlog changes to MySQL and Kinesis",
		Long: "Replicate MySQL binlog changes to MySQL and Kinesis.\n\n" +
			"Exit codes: 0 success; 1 a check ran and found something (config check and\n" +
			"mappings check found problems, status --wait timed out, failed retry kept\n" +
			"records, verify and dms compare found differences, resync left differences); 2 any other\n" +
			"error (bad usage, a server that cannot be reached, a stream stopped by an error).",
		Example: "  tributary config check --config /etc/tributary/tributary.yaml\n" +
			"  tributary run --config /etc/tributary/tributary.yaml\n" +
			"  tributary status --config /etc/tributary/tributary.yaml --wait --timeout 5m",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(debug.ReadBuildInfo()),
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	root.PersistentFlags().StringVarP(&configPath, "config", "c", "tributary.yaml", "service configuration file")
	root.AddCommand(newRunCmd(), newConfigCmd(), newCheckpointCmd(), newStatusCmd(), newMappingsCmd(), newMigrateCmd(), newFailedCmd(), newRangesCmd(), newBackfillCmd(), newReplayCmd(), newVerifyCmd(), newDMSCmd(), newResyncCmd())
	return root
}

// flagWants says, by flag type, what a flag's value must be.
var flagWants = map[string]string{
	"uint32":   "a whole number from 0 to 4294967295",
	"duration": "a duration such as 90s or 2m",
	"bool":     "true or false",
}

// flagError says what a flag wants instead of the parser's message
// (strconv.ParseUint: parsing "x": invalid syntax).
func flagError(err error) error {
	var bad *pflag.InvalidValueError
	if !errors.As(err, &bad) {
		return err
	}
	want, ok := flagWants[bad.GetFlag().Value.Type()]
	if !ok {
		return err
	}
	return fmt.Errorf("--%s %q: the value must be %s", bad.GetFlag().Name, bad.GetValue(), want)
}
