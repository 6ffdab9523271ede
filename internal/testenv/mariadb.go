package testenv

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Options describe one MariaDB server to start. Zero fields take defaults.
type Options struct {
	// Dir holds the data directory, socket, binlogs and error log.
	Dir string
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// ServerID is the server's @@server_id; 0 means 1.
	ServerID int
	// GTIDDomain is the server's @@gtid_domain_id.
	GTIDDomain int
	// ExtraArgs are appended to the mariadbd command line, overriding the
	// defaults (for example "--binlog-format=MIXED" to test preflight).
	ExtraArgs []string
	// TLS, when set, makes the server offer TLS with these files (see
	// TestCA); the package's own root connections then use TLS without
	// checking the certificate.
	TLS *TLSFiles
	// RequireSecureTransport refuses plaintext connections (needs TLS).
	RequireSecureTransport bool
}

// Server is a running mariadbd started by this package.
type Server struct {
	Dir      string
	Port     int
	ServerID int
	PID      int

	opts Options
	cmd  *exec.Cmd
	done chan struct{}
}

// Binaries used; Debian installs them here.
var (
	mariadbd     = "/usr/sbin/mariadbd"
	mariadbInit  = "/usr/bin/mariadb-install-db"
	startTimeout = 30 * time.Second
)

// Start initialises Options.Dir from a cached template when it holds no
// data yet, starts mariadbd and waits until it accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("starting mariadb: Options.Dir is required")
	}
	if opts.ServerID == 0 {
		opts.ServerID = 1
	}
	data := filepath.Join(opts.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); errors.Is(err, os.ErrNotExist) {
		if err := initDataDir(ctx, data); err != nil {
			return nil, err
		}
	}
	s := &Server{Dir: opts.Dir, ServerID: opts.ServerID, opts: opts}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.start(ctx); err == nil {
			return s, nil
		}
		if opts.Port != 0 {
			break // the caller chose the port; another try would not help
		}
	}
	return nil, err
}

// start launches the process once on Options.Port or a free port.
func (s *Server) start(ctx context.Context) error {
	port := s.opts.Port
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return err
		}
		port = p
	}
	s.Port = port
	// Temporary files of its own: in a shared /tmp, another process's
	// cleanup or a name collision has removed a server's internal
	// temporary table mid-query.
	tmp := filepath.Join(s.Dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("starting mariadbd: %w", err)
	}
	args := []string{
		"--no-defaults", "--user=root",
		"--datadir=" + filepath.Join(s.Dir, "data"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(s.Dir, "mysqld.sock"),
		"--pid-file=" + filepath.Join(s.Dir, "mysqld.pid"),
		"--tmpdir=" + tmp,
		"--log-error=" + filepath.Join(s.Dir, "error.log"),
		"--server-id=" + strconv.Itoa(s.ServerID),
		"--gtid-domain-id=" + strconv.Itoa(s.opts.GTIDDomain),
		"--log-bin=" + filepath.Join(s.Dir, "data", "mysql-bin"),
		"--binlog-format=ROW", "--binlog-row-image=FULL", "--binlog-row-metadata=FULL",
		"--gtid-strict-mode=ON", "--innodb-buffer-pool-size=64M",
		"--innodb-log-file-size=64M", "--max-allowed-packet=1G",
		"--skip-name-resolve", "--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci", "--default-time-zone=+00:00",
		"--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
	}
	if f := s.opts.TLS; f != nil {
		args = append(args, "--ssl-ca="+f.CAFile, "--ssl-cert="+f.CertFile, "--ssl-key="+f.KeyFile)
	}
	if s.opts.RequireSecureTransport {
		args = append(args, "--require-secure-transport=ON")
	}
	args = append(args, s.opts.ExtraArgs...)
	cmd := exec.Command(mariadbd, args...)
	// Its own process group, so a signal to the test does not reach it
	// first and it never outlives a clean shutdown of ours unnoticed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting mariadbd: %w", err)
	}
	s.cmd, s.PID, s.done = cmd, cmd.Process.Pid, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Kill()
		return fmt.Errorf("waiting for mariadbd on port %d (see %s): %w", port, filepath.Join(s.Dir, "error.log"), err)
	}
	return nil
}

// waitReady waits until the server answers on its port, and checks that
// the answer comes from its own data directory, not from another server
// that took the port.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	want := filepath.Join(s.Dir, "data")
	for {
		db, err := sql.Open("mysql", s.DSN("root", "", ""))
		var datadir string
		if err == nil {
			err = db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&datadir)
			_ = db.Close()
		}
		if err == nil {
			if filepath.Clean(datadir) != want {
				return fmt.Errorf("port %d answers from %s, another server's data directory", s.Port, datadir)
			}
			return nil
		}
		select {
		case <-s.done:
			return errors.New("mariadbd exited during start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// DSN returns a go-sql-driver DSN for user on this server.
func (s *Server) DSN(user, password, database string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net = user, password, "tcp"
	c.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	c.DBName = database
	c.Params = map[string]string{"time_zone": "'+00:00'"}
	c.MultiStatements = true
	if s.opts.TLS != nil {
		c.TLSConfig = "skip-verify"
	}
	return c.FormatDSN()
}

// Stop shuts the server down with SIGTERM and waits; after a timeout it
// sends SIGKILL.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		return s.Kill()
	}
	s.cmd = nil
	return nil
}

// exited reports whether the server is meant to run but its process ended.
func (s *Server) exited() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// errorLogTail returns the last n bytes of the server's error log.
func (s *Server) errorLogTail(n int) string {
	data, err := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	if err != nil {
		return err.Error()
	}
	return string(data[max(0, len(data)-n):])
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() error {
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
	return nil
}

// Pause freezes the server with SIGSTOP, as a hung host would: its
// connections stay open and nothing answers. Resume undoes it.
func (s *Server) Pause() error {
	if s.cmd == nil {
		return errors.New("pausing mariadb: server is not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pausing mariadb: %w", err)
	}
	// The stop reaches each thread on its own: wait until every one is
	// stopped, so that nothing is served after Pause returns.
	deadline := time.Now().Add(10 * time.Second)
	for !stopped(s.cmd.Process.Pid) {
		if time.Now().After(deadline) {
			return errors.New("pausing mariadb: its threads did not all stop within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// stopped reports whether every thread of process pid is stopped.
func stopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			return false
		}
		// The state follows the command name, which is in parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() error {
	if s.cmd == nil {
		return errors.New("resuming mariadb: server is not running")
	}
	return s.cmd.Process.Signal(syscall.SIGCONT)
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("restarting mariadb: server is running")
	}
	s.opts.Port = s.Port
	return s.start(ctx)
}
