package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/source/decode"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// gtidPos returns the server's current GTID position.
func gtidPos(tb testing.TB, db *sql.DB) string {
	var pos string
	require.NoError(tb, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	return pos
}

// rawRows streams the binlog from gtid with go-mysql alone until the
// transaction that makes the server's position end, and counts row images.
func rawRows(ctx context.Context, s *testenv.Server, serverID uint32, from, end string) (int, error) {
	cfg := replication.BinlogSyncerConfig{ServerID: serverID, Flavor: "mariadb", Host: "127.0.0.1",
		Port: uint16(s.Port), User: "root", Logger: quiet}
	decode.ConfigureSyncer(&cfg, nil)
	cfg.RowsEventDecodeFunc = nil // go-mysql's own row decoding: the bare stream
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	set, err := gomysql.ParseMariadbGTIDSet(from)
	if err != nil {
		return 0, err
	}
	st, err := syncer.StartSyncGTID(set)
	if err != nil {
		return 0, err
	}
	endSet, err := gomysql.ParseMariadbGTIDSet(end)
	if err != nil {
		return 0, err
	}
	rows := 0
	var gtid string
	for {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			return rows, err
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbGTIDEvent:
			gtid = e.GTID.String()
		case *replication.RowsEvent:
			rows += len(e.Rows)
		case *replication.XIDEvent:
			if endSet.String() == gtid {
				return rows, nil
			}
		}
	}
}

// readerRows streams from gtid through the reader with a discarding sink
// until the transaction whose GTID set reaches end, counting row changes.
func readerRows(ctx context.Context, s *testenv.Server, serverID uint32, from, end string) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := source.New(source.Options{Name: "bench", Host: "127.0.0.1", Port: uint16(s.Port), User: "root",
		Flavor: change.MariaDB, ServerID: serverID, Logger: quiet})
	out := make(chan *change.Txn, 16)
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx, change.Position{Flavor: change.MariaDB, GTIDSet: from}, out) }()
	rows := 0
	for {
		select {
		case txn := <-out:
			rows += len(txn.Changes)
			if txn.Last && txn.End.GTIDSet == end {
				cancel()
				<-errc
				return rows, nil
			}
		case err := <-errc:
			return rows, fmt.Errorf("reader stopped: %w", err)
		}
	}
}

// procStatus returns a field of /proc/PID/status in KiB (VmHWM, VmRSS).
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuSeconds returns the user plus system CPU time of a process.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// writeConfig writes a config streaming s into out.
func writeConfig(tb testing.TB, dir string, s *testenv.Server, out, interval string) string {
	cfg := fmt.Sprintf(`log:
  level: warn
pebble:
  dir: %s
checkpoint:
  interval: %s
http:
  listen: %s
sources:
  - name: bench
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 9001
    start: current
sinks:
  - name: out
    type: jsonl
    jsonl:
      path: %s
`, filepath.Join(dir, "pebble"), interval, testenv.FreeAddr(tb), s.Port, out)
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(tb, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// waitCaughtUp runs tributary status --wait against cfg.
func waitCaughtUp(bin, cfg string, timeout time.Duration) error {
	out, err := exec.Command(bin, "status", "--config", cfg, "--wait", "--timeout", timeout.String()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tributary status: %w: %s", err, out)
	}
	return nil
}

// httpAddr returns the http.listen address of a config written by writeConfig.
func httpAddr(tb testing.TB, cfgPath string) string {
	data, err := os.ReadFile(cfgPath)
	require.NoError(tb, err)
	m := regexp.MustCompile(`listen: (\S+)`).FindSubmatch(data)
	require.NotNil(tb, m)
	return string(m[1])
}

// waitApplied polls /status until the source has applied gtid: the sinks
// accepted it, which for the jsonl sink means it is written.
func waitApplied(_ testing.TB, addr, gtid string, timeout time.Duration) error {
	return waitStatus(addr, gtid, timeout, func(s replicator.Status) change.Position { return s.Applied })
}

// waitStatus polls /status until pick of the only source's status has the
// GTID set gtid.
func waitStatus(addr, gtid string, timeout time.Duration, pick func(replicator.Status) change.Position) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/status")
		if err == nil {
			var st []replicator.Status
			err = json.NewDecoder(resp.Body).Decode(&st)
			_ = resp.Body.Close()
			if err == nil && len(st) == 1 {
				// At or past: a heartbeat may write after the end.
				pos := pick(st[0])
				if ok, _ := source.Reached(pos, change.Position{Flavor: pos.Flavor, GTIDSet: gtid}); ok {
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("source did not reach %s within %s", gtid, timeout)
}
