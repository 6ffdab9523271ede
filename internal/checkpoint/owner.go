package checkpoint

import (
	"fmt"
	"os"
	"syscall"
)

// ownedByCaller refuses root a store that another user owns: opening it
// writes files (even to read it), which would be root's, 0600, and the
// store's own user, a service's, could no longer open them. Such a store
// is opened as its owner (for the systemd unit's dynamic user:
// systemd-run --pty -p DynamicUser=yes -p User=tributary
// -p StateDirectory=tributary tributary ...).
func ownedByCaller(dir string) error {
	if os.Geteuid() != 0 {
		return nil // another user's store refuses this one by its modes
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("reading checkpoint directory %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return fmt.Errorf("checkpoint store %s belongs to uid %d: run this as that user, not as root, or the files "+
		"written now would be root's and the service could no longer open its store (for the systemd unit: "+
		"systemd-run --pty -p DynamicUser=yes -p User=tributary -p StateDirectory=tributary tributary ...)", dir, st.Uid)
}
