package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// initDataDir fills dir with a fresh system database. mariadb-install-db
// takes seconds, so it runs once per machine into a template that later
// servers copy.
func initDataDir(ctx context.Context, dir string) error {
	tmpl, err := template(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	out, err := exec.CommandContext(ctx, "cp", "-a", tmpl, dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("copying mariadb template: %w: %s", err, out)
	}
	return nil
}

// template returns the path of the shared template data directory, creating
// it under a file lock so concurrent test binaries build it once.
func template(ctx context.Context) (string, error) {
	base := filepath.Join(os.TempDir(), "tributary-mariadb-template-v2")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", base, err)
	}
	lock, err := os.OpenFile(filepath.Join(base, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("opening template lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking template: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	data := filepath.Join(base, "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); err == nil {
		return data, nil
	}
	_ = os.RemoveAll(data)
	tmp := data + ".tmp"
	_ = os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, mariadbInit, "--no-defaults", "--datadir="+tmp, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db",
		// The same redo log size the servers use, so a first start does not
		// spend seconds resizing it.
		"--innodb-log-file-size=64M")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("running mariadb-install-db (is mariadb-server installed? run make deps): %w: %s", err, out)
	}
	if err := os.Rename(tmp, data); err != nil {
		return "", fmt.Errorf("publishing mariadb template: %w", err)
	}
	return data, nil
}
