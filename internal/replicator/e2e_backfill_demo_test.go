package replicator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
)

// fetchStatus reads the running service's /status, nil while it does not
// answer.
func fetchStatus(cfg *config.Config) []replicator.Status {
	resp, err := http.Get("http://" + cfg.HTTP.Listen + "/status")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var st []replicator.Status
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return nil
	}
	return st
}

// TestBackfillDemoThroughKill pre-loads the demo's sources, starts the
// service on them with backfill: initial while the demo workload keeps
// writing (updates, deletes, key changes, profiles before users), kills it
// with SIGKILL in the middle of the backfill, and restarts it: the
// backfill resumes from its durable cursors, not from the start, and the
// drained target equals the mappings applied to the sources, by the
// demo's independent expected-state queries.
func TestBackfillDemoThroughKill(t *testing.T) {
	d := startDemoCluster(t)
	require.NoError(t, d.load(t.Context(), 11, 1500))
	raw, err := os.ReadFile(d.cfg)
	require.NoError(t, err)
	// Chunks of a fixed 5 rows (the max equal to the start stops the size
	// adapting): every table takes many chunks, so the copy outlasts the
	// first checkpoints.
	text := strings.ReplaceAll(string(raw), "    start: current\n", "    backfill: initial\n    backfill_chunk_rows: 5\n    backfill_chunk_rows_max: 5\n")
	require.NoError(t, os.WriteFile(d.cfg, []byte(text), 0o600))
	cfg, err := config.Load(d.cfg)
	require.NoError(t, err)

	ctx, stop := context.WithCancel(t.Context())
	loadErr := make(chan error, 1)
	go func() { loadErr <- d.load(ctx, 12, 0) }()

	// Kill once the service reports chunks saved with a checkpoint and
	// some tables still being copied.
	cmd, _ := d.run(t)
	waitFor(t, 2*time.Minute, "a durable chunk while the backfill is under way", func() bool {
		durable, pending := 0, 0
		for _, s := range fetchStatus(cfg) {
			for _, b := range s.Backfill {
				durable += int(b.CheckpointChunks)
				if !b.Done {
					pending++
				}
			}
		}
		return durable > 0 && pending > 0
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	durable, err := store.Cursors()
	require.NoError(t, err)
	require.NoError(t, store.Close())
	var copied uint64
	unfinished := 0
	for _, c := range durable {
		copied += c.Chunks
		if !c.Done {
			unfinished++
		}
	}
	require.Positive(t, copied, "the status reported a durable chunk that the store does not hold")
	require.Positive(t, unfinished, "the backfill had ended before the kill")

	cmd, stderr := d.run(t)
	// The restart picks the copy up from the durable cursors: every
	// unfinished table resumes with the chunks it had.
	waitFor(t, 30*time.Second, "the backfill to resume", func() bool {
		return strings.Count(stderr.String(), "resuming backfill") >= unfinished
	})
	resumed := regexp.MustCompile(`resuming backfill.*? source=(\S+).*? table=(\S+) chunks=(\d+)`).FindAllStringSubmatch(stderr.String(), -1)
	for _, c := range durable {
		if c.Done {
			continue
		}
		found := false
		for _, m := range resumed {
			if m[1] == c.Source && m[2] == c.QualifiedName() {
				n, err := strconv.ParseUint(m[3], 10, 64)
				require.NoError(t, err)
				require.Equal(t, c.Chunks, n, "%s on %s resumed elsewhere than its durable cursor", m[2], m[1])
				found = true
			}
		}
		require.True(t, found, "%s did not resume", c.QualifiedName())
	}
	time.Sleep(time.Second)
	stop()
	require.NoError(t, <-loadErr)
	out, err := d.tributary(t, "status", "--wait", "--timeout", "3m")
	require.NoError(t, err, "%s\n%s", out, stderr.String())

	// Copying again what is there already changes nothing: by target
	// table and by mapping file.
	_, file, _, _ := runtime.Caller(0)
	cooksnaps := filepath.Join(filepath.Dir(file), "..", "..", "mappings", "cooksnaps.yaml")
	out, err = d.tributary(t, "backfill", "--mapping", "global.members", "--mapping", cooksnaps)
	require.NoError(t, err, "%s", out)
	for _, want := range []string{`jp-accounts\s+accounts.user_profiles\s+user_id`, `jp-accounts\s+accounts.users\s+id`,
		`jp-accounts-2\s+accounts.users`, `jp-recipes\s+recipes.cooksnaps\s+id`, `started for 5 table`} {
		require.Regexp(t, want, out)
	}
	require.NotContains(t, out, "recipes.recipes")
	out, err = d.tributary(t, "status", "--wait", "--timeout", "3m")
	require.NoError(t, err, "%s\n%s", out, stderr.String())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	require.NotContains(t, stderr.String(), "level=ERROR")
	d.requireConverged(t, allTables...)

	// Every table the mappings' driving and contributing entries read was
	// copied, on every source; lookups were not.
	store, err = checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	final, err := store.Cursors()
	require.NoError(t, err)
	require.NoError(t, store.Close())
	var names []string
	for _, c := range final {
		require.True(t, c.Done, "%s on %s", c.QualifiedName(), c.Source)
		names = append(names, c.Source+" "+c.QualifiedName())
	}
	require.ElementsMatch(t, []string{
		"jp-accounts accounts.user_profiles", "jp-accounts accounts.users",
		"jp-accounts-2 accounts.user_profiles", "jp-accounts-2 accounts.users",
		"jp-recipes recipes.cooksnaps", "jp-recipes recipes.recipes",
	}, names)
	t.Logf("durable at the kill: %d chunks, %d tables unfinished; final: %+v", copied, unfinished, final)
}
