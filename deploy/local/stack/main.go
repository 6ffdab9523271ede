// Command stack starts, describes and stops the local MariaDB servers and
// the Kinesis emulator of the demo stack, writes the demo's load to its
// sources and checks the demo's target against them:
// go run ./deploy/local/stack up|down|env|verify|loadgen.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-cdc/tributary/deploy/local/demo"
	"github.com/tributary-cdc/tributary/deploy/local/expect"
)

const usage = `usage: stack [-dir DIR] [-n N] up|down|env|verify|stream|reset-stream
       stack [-dir DIR] loadgen [-duration D] [-rate R] [-transactions N] ...

  up      start the servers and the Kinesis emulator that are not running,
          create the demo schemas, users and stream, write DIR/stack.env
  down    stop the servers and the emulator by the pids in DIR/stack.env
  env     print DIR/stack.env as export lines, for eval in a shell
  verify  compare the target's global tables with what the demo mappings
          make of the sources; fail when any differs
  stream  read the demo stream back from the emulator, check each key's
          order, print the count and the first -n records
  reset-stream  delete and create again the demo stream, empty
  loadgen write a mixed workload to the source clusters until -duration,
          -transactions or SIGINT, then print what was written
          (stack -dir DIR loadgen -h lists its flags)
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
	n := fs.Int("n", 3, "records stream prints")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Only loadgen takes flags after its name.
	if fs.NArg() == 0 || fs.NArg() > 1 && fs.Arg(0) != "loadgen" {
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
	case "verify":
		return verify(ctx, filepath.Join(*dir, demo.EnvFile), stdout)
	case "stream":
		return printStream(ctx, *dir, *n, stdout)
	case "reset-stream":
		return demo.ResetDemoStream(ctx, *dir)
	case "loadgen":
		return runLoadgen(ctx, *dir, fs.Args()[1:], stdout, stderr, logger)
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", fs.Arg(0))
	}
}

// printSummary lists the servers and the emulator without the password.
func printSummary(w io.Writer, env demo.Env, path string) {
	fmt.Fprintf(w, "%-14s %-6s %-8s %s\n", "SERVER", "PORT", "PID", "ROOT DSN")
	for _, s := range demo.Servers {
		fmt.Fprintf(w, "%-14s %-6s %-8s %s\n", s.Name, env.Get(s, demo.SuffixPort),
			env.Get(s, demo.SuffixPID), env.Get(s, demo.SuffixRootDSN))
	}
	fmt.Fprintf(w, "\nKinesis emulator %s (pid %s), stream %s\n",
		env[demo.KeyKinesisEndpoint], env[demo.KeyKinesisPID], env[demo.KeyKinesisStream])
	fmt.Fprintf(w, "\nDSNs and the tributary password are in %s; load them with:\n  set -a; . %s; set +a\n",
		path, strings.TrimPrefix(path, "./"))
}

// errDiffers is returned by verify when a target table differs.
var errDiffers = errors.New("the target differs from the mapped sources")

// verify compares the stack's target with its sources as root, and prints
// one line per table and the rows that differ (demo data only).
func verify(ctx context.Context, envPath string, stdout io.Writer) (err error) {
	env, err := demo.ReadEnv(envPath)
	if err != nil {
		return fmt.Errorf("%w (run make up first)", err)
	}
	var s expect.Servers
	for _, srv := range []struct {
		name string
		db   **sql.DB
	}{
		{"jp-accounts", &s.Accounts}, {"jp-accounts-2", &s.Accounts2},
		{"jp-recipes", &s.Recipes}, {"target", &s.Target},
	} {
		// Not err: the deferred Close must join into the result.
		db, openErr := openUTC(env.Get(demo.Server{Name: srv.name}, demo.SuffixRootDSN))
		if openErr != nil {
			return fmt.Errorf("connecting to %s: %w", srv.name, openErr)
		}
		defer func() { err = errors.Join(err, db.Close()) }()
		*srv.db = db
	}
	diffs, err := expect.Compare(ctx, s)
	if err != nil {
		return err
	}
	equal := printDiffs(stdout, diffs)
	fmt.Fprintln(stdout, verdict(diffs))
	if !equal {
		return errDiffers
	}
	return nil
}

// verdict is the line verify ends with: PASS, or FAIL and what differs.
func verdict(diffs []expect.Diff) string {
	var differ []string
	for _, d := range diffs {
		switch {
		case d.Equal():
		case d.Want == d.Got:
			differ = append(differ, fmt.Sprintf("%s differs (%s, values differ)", d.Table, rows(d.Got)))
		default:
			differ = append(differ, fmt.Sprintf("%s differs (want %s, got %d)", d.Table, rows(d.Want), d.Got))
		}
	}
	if len(differ) > 0 {
		return "verify: FAIL — " + strings.Join(differ, "; ")
	}
	tables := "every target table"
	if len(diffs) == 1 {
		tables = "the target table"
	}
	return fmt.Sprintf("verify: PASS — %s equal to the mapped sources", tables)
}

// rows returns "1 row" or "n rows".
func rows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// openUTC opens dsn with the sessions' time zone set to UTC.
func openUTC(dsn string) (*sql.DB, error) {
	if dsn == "" {
		return nil, errors.New("no DSN in the stack env")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// printDiffs prints one line per table and up to five missing and
// unexpected rows of each that differs; it reports whether all are equal.
func printDiffs(w io.Writer, diffs []expect.Diff) bool {
	equal := true
	for _, d := range diffs {
		if d.Equal() {
			fmt.Fprintf(w, "  %-18s %7d rows  equal to the mapped sources\n", d.Table, d.Got)
			continue
		}
		equal = false
		fmt.Fprintf(w, "  %-18s %7d rows  DIFFERS from the mapped sources (want %s, got %d)\n",
			d.Table, d.Got, rows(d.Want), d.Got)
		for _, r := range d.Missing {
			fmt.Fprintf(w, "    missing     %s\n", r)
		}
		for _, r := range d.Unexpected {
			fmt.Fprintf(w, "    unexpected  %s\n", r)
		}
	}
	return equal
}
