package replicator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// bigTxnRows is the size of the transaction a stop lands in: 150 parts of
// the reader's default 1,000 changes.
const bigTxnRows = 150_000

// TestStopInsideLargeTransaction stops the service while the parts of a
// 50,000-row transaction stream into a jsonl file. Within the grace period
// the stop finishes the transaction, checkpoints its end, and a restart
// repeats no row. With a grace period too short for it, the stop says it
// cut the transaction, and the restart sends it again from its start.
func TestStopInsideLargeTransaction(t *testing.T) {
	tests := []struct {
		name  string
		grace string // checkpoint.stop_grace; "" keeps the default
		cut   bool
	}{
		{"finishes the transaction in flight", "", false},
		{"grace period too short", "1ms", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testenv.StartT(t, testenv.Options{ServerID: 1})
			srv.Exec(t, schemaSQL)
			dir := t.TempDir()
			cfgPath, out := writeConfig(t, dir, map[string]*testenv.Server{"alpha": srv})
			if tt.grace != "" {
				setGrace(t, cfgPath, tt.grace)
			}
			cfg, err := config.Load(cfgPath)
			require.NoError(t, err)

			logs := &testenv.LogBuffer{}
			run := func(during func()) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				errc := make(chan error, 1)
				logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
				go func() { errc <- replicator.Run(ctx, cfg, replicator.Options{}, logger) }()
				waitStreaming(t, cfg)
				during()
				cancel()
				select {
				case err := <-errc:
					require.NoError(t, err)
				case <-time.After(60 * time.Second):
					t.Fatal("run did not stop within 60 s")
				}
			}

			run(func() {
				srv.Exec(t, fmt.Sprintf("INSERT INTO app.t SELECT seq, REPEAT('x', 100) FROM app.seq_1_to_%d", bigTxnRows))
				// Stop while the transaction's parts stream, not before
				// its first or after its last.
				deadline := time.Now().Add(30 * time.Second)
				for n := uint64(0); n == 0; n = appliedChanges(t, cfg) {
					require.True(t, time.Now().Before(deadline), "timed out waiting for the first parts")
					time.Sleep(time.Millisecond)
				}
			})
			first := ids(t, readEnvelopes(t, out), "t")
			if tt.cut {
				// With a grace of 1 ms the end of the grace may come
				// before the stream notices the stop: "stopped inside"
				// alone tells that the stop came mid-transaction.
				require.Contains(t, logs.String(), "stopped inside a transaction")
				require.Contains(t, logs.String(), "a restart sends the parts already written again")
				require.NotContains(t, logs.String(), "stopped cleanly")
				require.Less(t, len(first), bigTxnRows)
			} else {
				require.Contains(t, logs.String(), "stopping after the transaction in flight", "the stop came between transactions")
				require.Contains(t, logs.String(), "stopped cleanly")
				require.NotContains(t, logs.String(), "stopped inside")
				require.Equal(t, bigTxnRows, len(first), "the stop did not finish the transaction")
			}

			run(func() {
				srv.Exec(t, fmt.Sprintf("INSERT INTO app.t VALUES (%d, 'after')", bigTxnRows+1))
				waitFor(t, 60*time.Second, "the row after the restart", func() bool {
					return ids(t, readEnvelopes(t, out), "t")[bigTxnRows+1] == 1
				})
			})
			seen := ids(t, readEnvelopes(t, out), "t")
			require.Equal(t, bigTxnRows+1, len(seen))
			repeated := 0
			for id := int64(1); id <= bigTxnRows+1; id++ {
				require.Positive(t, seen[id], "row %d missing", id)
				if seen[id] > 1 {
					repeated++
				}
			}
			if tt.cut {
				require.Equal(t, len(first), repeated, "the restart must send again exactly the rows written before the cut")
			} else {
				require.Zero(t, repeated, "rows repeated after a clean stop")
			}
		})
	}
}

// setGrace sets checkpoint.stop_grace in the configuration file.
func setGrace(t *testing.T, path, grace string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := strings.Replace(string(data), "checkpoint:\n", "checkpoint:\n  stop_grace: "+grace+"\n", 1)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

// appliedChanges returns the changes the service's sinks have accepted,
// from its /status endpoint, transaction parts included.
func appliedChanges(t *testing.T, cfg *config.Config) uint64 {
	t.Helper()
	resp, err := http.Get("http://" + cfg.HTTP.Listen + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st []replicator.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	var n uint64
	for _, s := range st {
		n += s.Changes
	}
	return n
}
