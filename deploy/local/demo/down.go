package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// Down stops the servers and the Kinesis emulator of the stack under dir by
// the pids in its env file (or, failing that, in their pid files): SIGTERM,
// then SIGKILL when one has not exited in time. A pid that is not the
// stack's own mariadbd or emulator is left alone. The env file keeps ports
// and password, with the pids cleared.
func Down(ctx context.Context, dir string, logger *slog.Logger) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("resolving stack directory: %w", err)
	}
	path := filepath.Join(dir, EnvFile)
	env, err := ReadEnv(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	stop := func(name string, pid int, grace time.Duration) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logger.Info("stopping server", "server", name, "pid", pid)
			if err := stopPID(ctx, pid, grace); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("stopping %s: %w", name, err))
				mu.Unlock()
			}
		}()
	}
	for _, s := range Servers {
		sdir := filepath.Join(dir, s.Name)
		envPID, _ := strconv.Atoi(env.Get(s, SuffixPID))
		for _, pid := range []int{envPID, pidFilePID(sdir)} {
			if _, ok := ownedPort(pid, sdir); ok {
				stop(s.Name, pid, stopGrace)
				break
			}
		}
	}
	if k, ok := stackKinesis(dir, env); ok {
		stop("kinesis", k.PID, testenv.KinesisStopGrace)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(env) == 0 {
		return nil
	}
	for _, s := range Servers {
		if _, ok := env[s.Prefix()+SuffixPID]; ok {
			env[s.Prefix()+SuffixPID] = ""
		}
	}
	if _, ok := env[KeyKinesisPID]; ok {
		env[KeyKinesisPID] = ""
	}
	return env.Write(path)
}
