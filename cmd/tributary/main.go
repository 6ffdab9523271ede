// Command tributary replicates MySQL binlog changes to MySQL and Kinesis.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	code := exitCode(err)
	if err != nil {
		printError(os.Stderr, err, code)
	}
	os.Exit(code)
}

// errorLogger, when a command loaded a configuration whose log format is
// json, writes the error the command ends with: a JSON log line like the
// service's own, so that a log pipeline reading them gets it too.
var errorLogger *slog.Logger

// printError writes the error a command ended with, once: as a log line
// through errorLogger when one is set, else as "tributary: error".
func printError(w io.Writer, err error, code int) {
	if errorLogger != nil {
		errorLogger.Error("tributary stopped with an error", "error", err.Error(), "exit_code", code)
		return
	}
	fmt.Fprintln(w, "tributary:", err)
}
