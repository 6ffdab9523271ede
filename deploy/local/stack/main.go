// Command stack starts, describes and stops the local MariaDB servers of the
// demo stack: go run ./deploy/local/stack up|down|env.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tributary-cdc/tributary/internal/demo"
)

const usage = `usage: stack [-dir DIR] up|down|env

  up    start the servers that are not running, create the demo schemas
        and users, write DIR/stack.env
  down  stop the servers by the pids in DIR/stack.env
  env   print DIR/stack.env as export lines, for eval in a shell
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	dir := fs.String("dir", ".local", "directory holding the servers' data and stack.env")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one command, got %d", fs.NArg())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	switch fs.Arg(0) {
	case "up":
		env, err := demo.Up(ctx, *dir, logger)
		if err != nil {
			return err
		}
		printSummary(stdout, env, filepath.Join(*dir, demo.EnvFile))
		return nil
	case "down":
		return demo.Down(ctx, *dir, logger)
	case "env":
		env, err := demo.ReadEnv(filepath.Join(*dir, demo.EnvFile))
		if err != nil {
			return fmt.Errorf("%w (run make up first)", err)
		}
		_, err = io.WriteString(stdout, env.Shell())
		return err
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
}

// printSummary lists the servers without the password.
func printSummary(w io.Writer, env demo.Env, path string) {
	fmt.Fprintf(w, "%-14s %-6s %-8s %s\n", "SERVER", "PORT", "PID", "ROOT DSN")
	for _, s := range demo.Servers {
		fmt.Fprintf(w, "%-14s %-6s %-8s %s\n", s.Name, env.Get(s, demo.SuffixPort),
			env.Get(s, demo.SuffixPID), env.Get(s, demo.SuffixRootDSN))
	}
	fmt.Fprintf(w, "\nDSNs and the tributary password are in %s; load them with:\n  set -a; . %s; set +a\n",
		path, strings.TrimPrefix(path, "./"))
}
