package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tributary-cdc/tributary/internal/admin"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

func newRunCmd() *cobra.Command {
	var initStore bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Stream every source into the sinks until SIGINT or SIGTERM",
		Long: "run checks the sources and the mappings, then streams every source into the\n" +
			"sinks until SIGINT or SIGTERM. A stop lets a large transaction in flight end\n" +
			"first, for up to checkpoint.stop_grace, flushes the sinks and checkpoints.\n" +
			"SIGHUP loads the mapping files again: they replace the running ones when they\n" +
			"load, fit the live schemas and read and write the same tables; otherwise the\n" +
			"running ones stay and the log lists every problem.",
		Example: "  # stream until SIGINT or SIGTERM\n" +
			"  tributary run --config tributary.yaml\n" +
			"  # the first start of a new store: sources without a checkpoint or a start:\n" +
			"  # setting begin at their current position\n" +
			"  tributary run --config tributary.yaml --init",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			setMemoryLimit(logger)
			return replicator.Run(cmd.Context(), cfg, replicator.Options{
				Init: initStore, Reload: hangups(cmd.Context()), PaceCollector: paceCollector(),
			}, logger)
		},
	}
	cmd.Flags().BoolVar(&initStore, "init", false,
		"start every source that has no checkpoint and no start: setting at its current position (a new store)")
	return cmd
}

// loadConfig loads --config and builds the logger it describes.
func loadConfig() (*config.Config, *slog.Logger, error) {
	return loadConfigWith(config.Load)
}

// loadOfflineConfig loads the configuration for a command that reads the
// store only: the sources' and the target's passwords are not needed.
func loadOfflineConfig() (*config.Config, *slog.Logger, error) {
	return loadConfigWith(config.LoadOffline)
}

func loadConfigWith(load func(string) (*config.Config, error)) (*config.Config, *slog.Logger, error) {
	cfg, err := load(configPath)
	if err != nil {
		return nil, nil, err
	}
	logger := slog.New(cfg.Log.Handler(os.Stderr))
	if cfg.Log.FormatFor(os.Stderr) == config.LogJSON {
		errorLogger = logger
	}
	if err := admin.UseLogger(logger); err != nil {
		return nil, nil, err
	}
	return cfg, logger, nil
}

// defaultMemoryLimit is the soft limit of the Go heap unless GOMEMLIMIT
// says otherwise. Streaming needs little memory, but a burst of large LOB
// rows leaves garbage that Go's default pacing lets grow to twice the live
// heap; the soft limit makes the collector return it sooner.
const defaultMemoryLimit = 128 << 20

func setMemoryLimit(logger *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	logger.Debug("soft memory limit set", "bytes", defaultMemoryLimit)
}

// paceCollector reports whether the service paces the Go collector
// (replicator.Options.PaceCollector): unless GOGC or GOMEMLIMIT is set,
// either of which says how the collector should pace.
func paceCollector() bool {
	return os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
}

// hangups delivers on the returned channel for every SIGHUP until ctx
// ends; hang-ups that arrive while one waits are merged into it.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
