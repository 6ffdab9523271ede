package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// Up starts every server of the stack under dir and its Kinesis emulator
// when not running yet, creates the demo schemas, the tributary users and
// the demo stream, and writes dir/stack.env. Processes already running and
// answering are kept, and a restarted one gets its previous port back when
// that port is free.
func Up(ctx context.Context, dir string, logger *slog.Logger) (Env, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving stack directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating stack directory: %w", err)
	}
	path := filepath.Join(dir, EnvFile)
	old, err := ReadEnv(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	password, err := stackPassword(old)
	if err != nil {
		return nil, err
	}
	env := Env{KeyPassword: password}
	for _, s := range Servers {
		port, pid, err := ensureRunning(ctx, filepath.Join(dir, s.Name), s, old, logger)
		if err != nil {
			// Record what did start, so that down can stop it.
			return nil, errors.Join(err, env.Write(path))
		}
		env.set(s, port, pid, password)
	}
	k, err := ensureKinesis(ctx, dir, old, logger)
	if err != nil {
		return nil, errors.Join(err, env.Write(path))
	}
	env.setKinesis(k.Endpoint, k.PID)
	if err := env.Write(path); err != nil {
		return nil, err
	}
	for _, s := range Servers {
		if err := provision(ctx, s, env.Get(s, SuffixRootDSN), password); err != nil {
			return nil, err
		}
	}
	if err := ensureDemoStream(ctx, k); err != nil {
		return nil, err
	}
	return env, nil
}

// set records the keys of server s.
func (e Env) set(s Server, port, pid int, password string) {
	p := s.Prefix()
	e[p+SuffixPort] = strconv.Itoa(port)
	e[p+SuffixPID] = ""
	if pid > 0 {
		e[p+SuffixPID] = strconv.Itoa(pid)
	}
	e[p+SuffixServerID] = strconv.Itoa(s.ServerID)
	e[p+SuffixGTIDDomain] = strconv.Itoa(s.GTIDDomain)
	e[p+SuffixDSN] = fmt.Sprintf("tributary:%s@tcp(127.0.0.1:%d)/", password, port)
	e[p+SuffixRootDSN] = fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)
}

// stackPassword returns the tributary users' password from a previous env
// file, or a new random one.
func stackPassword(old Env) (string, error) {
	if pw := old[KeyPassword]; pw != "" {
		if !validPassword(pw) {
			return "", fmt.Errorf("reading stack env: %s must be 8 to 64 letters or digits", KeyPassword)
		}
		return pw, nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validPassword accepts only what can sit unescaped in a SQL literal, a DSN
// and a shell word.
func validPassword(pw string) bool {
	if len(pw) < 8 || len(pw) > 64 {
		return false
	}
	for _, r := range pw {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ensureRunning keeps the server running in dir, if any, or starts it, and
// returns its port and pid.
func ensureRunning(ctx context.Context, dir string, s Server, old Env, logger *slog.Logger) (int, int, error) {
	envPID, _ := strconv.Atoi(old.Get(s, SuffixPID))
	for _, pid := range []int{envPID, pidFilePID(dir)} {
		port, ok := ownedPort(pid, dir)
		if !ok {
			continue
		}
		if err := ping(ctx, fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port), 10*time.Second); err != nil {
			return 0, 0, fmt.Errorf("checking %s (pid %d, port %d) that is running but not answering; stop it with make down: %w", s.Name, pid, port, err)
		}
		logger.Info("server already running", "server", s.Name, "port", port, "pid", pid)
		return port, pid, nil
	}
	opts := testenv.Options{Dir: dir, ServerID: s.ServerID, GTIDDomain: s.GTIDDomain}
	if p, _ := strconv.Atoi(old.Get(s, SuffixPort)); p > 0 && portFree(p) {
		opts.Port = p
	}
	srv, err := testenv.Start(ctx, opts)
	if err != nil && opts.Port != 0 {
		logger.Warn("previous port unusable, picking another", "server", s.Name, "port", opts.Port, "err", err)
		opts.Port = 0
		srv, err = testenv.Start(ctx, opts)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("starting %s: %w", s.Name, err)
	}
	logger.Info("server started", "server", s.Name, "port", srv.Port, "pid", srv.PID)
	return srv.Port, srv.PID, nil
}

// ping waits up to timeout for the server at dsn to answer.
func ping(ctx context.Context, dsn string, timeout time.Duration) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dsn, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err = db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
