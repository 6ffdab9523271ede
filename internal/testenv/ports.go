package testenv

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// Ports for servers come from below Linux's ephemeral range (32768 and up
// by default), so that no outgoing connection holds one by chance, and
// each is reserved with a lock file for as long as the process runs. A
// stopped server keeps its port for a restart: with plain bind-to-port-0
// picks, another test (in this process or in another package's, running
// at the same time) could take it meanwhile and answer in its place.
const (
	portLow  = 20000
	portHigh = 32000
)

// reserved holds the lock files of this process's ports.
var reserved struct {
	sync.Mutex
	files map[int]*os.File
}

// freePort returns a port that this process has reserved and that nothing
// listens on now.
func freePort() (int, error) {
	dir := filepath.Join(os.TempDir(), "tributary-testenv-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	for range 1000 {
		port := portLow + rand.IntN(portHigh-portLow)
		ok, err := reserve(dir, port)
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		if !ok {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // used by something else; keep it reserved so we skip it
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		return port, nil
	}
	return 0, errors.New("finding a free port: none free after 1000 tries")
}

// reserve locks port's file for this process; false when another process
// (or this one) holds it.
func reserve(dir string, port int) (bool, error) {
	reserved.Lock()
	defer reserved.Unlock()
	if _, ok := reserved.files[port]; ok {
		return false, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, err
	}
	if reserved.files == nil {
		reserved.files = map[int]*os.File{}
	}
	reserved.files[port] = f // held until the process exits
	return true, nil
}
