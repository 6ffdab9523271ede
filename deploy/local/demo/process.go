package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Shutdown timing: mariadbd gets stopGrace to shut down after SIGTERM
// before it is killed (the Kinesis emulator gets testenv.KinesisStopGrace).
var (
	stopGrace = 30 * time.Second
	pollEvery = 100 * time.Millisecond
)

// ownedPort reports whether pid is a live mariadbd serving the data of the
// server folder dir, and the port it listens on. It reads the process's
// command line, so a reused pid is never mistaken for the server.
func ownedPort(pid int, dir string) (int, bool) {
	if pid <= 0 || !alive(pid) {
		return 0, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, false
	}
	args := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
	if filepath.Base(args[0]) != "mariadbd" {
		return 0, false
	}
	port, ours := 0, false
	for _, a := range args[1:] {
		if a == "--datadir="+filepath.Join(dir, "data") {
			ours = true
		}
		if v, ok := strings.CutPrefix(a, "--port="); ok {
			port, _ = strconv.Atoi(v)
		}
	}
	return port, ours && port > 0
}

// alive reports whether pid exists and has not exited. A process whose
// parent has gone may stay a zombie when nothing reaps it; it counts as
// exited.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}

// pidFilePID returns the pid that mariadbd wrote into the server folder, or
// 0 when there is none.
func pidFilePID(dir string) int {
	return readPID(filepath.Join(dir, "mysqld.pid"))
}

// readPID returns the pid in the file at path, or 0 when there is none.
func readPID(path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	return pid
}

// stopPID sends SIGTERM to pid and waits for it to exit, sending SIGKILL
// after grace.
func stopPID(ctx context.Context, pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("signalling pid %d: %w", pid, err)
	}
	if waitExit(ctx, pid, grace) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing pid %d: %w", pid, err)
	}
	if !waitExit(ctx, pid, 10*time.Second) {
		return fmt.Errorf("waiting for pid %d to exit after SIGKILL", pid)
	}
	return nil
}

// waitExit polls until pid has exited, the timeout passes or ctx ends, and
// reports whether it exited.
func waitExit(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pollEvery):
		}
	}
	return true
}

// portFree reports whether nothing listens on port at 127.0.0.1.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
