package replicator_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// writeConfig writes a tributary.yaml streaming servers into a jsonl file,
// each starting at its current position when it has no checkpoint, and
// returns its path and the output path.
func writeConfig(t *testing.T, dir string, servers map[string]*testenv.Server) (string, string) {
	t.Helper()
	return writeStartConfig(t, dir, servers, "current")
}

// writeStartConfig is writeConfig with the sources' start setting; ""
// leaves it out.
func writeStartConfig(t *testing.T, dir string, servers map[string]*testenv.Server, start string) (string, string) {
	t.Helper()
	out := filepath.Join(dir, "changes.jsonl")
	addr := testenv.FreeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "log:\n  format: text\npebble:\n  dir: %s\ncheckpoint:\n  interval: 100ms\nhttp:\n  listen: %s\nsources:\n", filepath.Join(dir, "pebble"), addr)
	id := 5000
	for name, s := range servers {
		id++
		fmt.Fprintf(&b, "  - name: %s\n    host: 127.0.0.1\n    port: %d\n    user: root\n    server_id: %d\n", name, s.Port, id)
		if start != "" {
			fmt.Fprintf(&b, "    start: %q\n", start)
		}
	}
	fmt.Fprintf(&b, "sinks:\n  - name: out\n    type: jsonl\n    jsonl:\n      path: %s\n", out)
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, out
}

// readEnvelopes decodes every line of the jsonl file.
func readEnvelopes(t *testing.T, path string) []envelope.Envelope {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []envelope.Envelope
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		// A kill can leave a half-written last line, which the sink ends
		// with a newline on restart; consumers skip such lines.
		if e, err := envelope.Decode(sc.Bytes()); err == nil {
			out = append(out, e)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// gtidSeq returns the sequence number of a MariaDB GTID "d-s-n".
func gtidSeq(t *testing.T, gtid string) uint64 {
	t.Helper()
	i := strings.LastIndexByte(gtid, '-')
	require.Positive(t, i, "gtid %q", gtid)
	n, err := strconv.ParseUint(gtid[i+1:], 10, 64)
	require.NoError(t, err)
	return n
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workload inserts rows with increasing ids in transactions of 1..5 rows
// until stopped, and remembers what committed.
type workload struct {
	db   *sql.DB
	mu   sync.Mutex
	done []int64
	next int64
}

func (w *workload) run(ctx context.Context, table string) error {
	for i := 0; ctx.Err() == nil; i++ {
		n := 1 + i%5
		tx, err := w.db.BeginTx(context.Background(), nil)
		if err != nil {
			return err
		}
		ids := make([]int64, n)
		for j := range ids {
			w.next++
			ids[j] = w.next
			if _, err := tx.Exec("INSERT INTO "+table+" (id, v) VALUES (?, ?)", ids[j], strings.Repeat("x", j*100)); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		w.mu.Lock()
		w.done = append(w.done, ids...)
		w.mu.Unlock()
	}
	return nil
}

func (w *workload) committed() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.done...)
}

// ids returns, per inserted id of table, how often it appears.
func ids(t *testing.T, envs []envelope.Envelope, table string) map[int64]int {
	t.Helper()
	seen := map[int64]int{}
	for _, e := range envs {
		if e.Table != table || e.Op != "insert" {
			continue
		}
		n, err := strconv.ParseInt(fmt.Sprint(e.After["id"]), 10, 64)
		require.NoError(t, err)
		seen[n]++
	}
	return seen
}

// waitStreaming waits until the service answers on its HTTP endpoint, which
// it starts only after saving every source's start position: writes made
// afterwards are after it.
func waitStreaming(t *testing.T, cfg *config.Config) {
	t.Helper()
	waitFor(t, 30*time.Second, "the service to listen", func() bool { return healthy(cfg) })
}

// healthy reports whether the service answers on its HTTP endpoint.
func healthy(cfg *config.Config) bool {
	resp, err := http.Get("http://" + cfg.HTTP.Listen + "/healthz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
