package replicator_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// counterChange is one committed change of a counters row: its operation
// and the row's n (the before image's for a delete).
type counterChange struct {
	op string
	n  int64
}

// counterWorkload changes rows of app.counters from one connection, in
// transactions of one to three statements, each insert, update or delete
// moving the row's n up by one, and records what it committed per id.
type counterWorkload struct {
	db   *sql.DB
	rng  *rand.Rand
	keys int
	// live holds the n of the rows that exist, next the n an id takes on
	// its next change, committed every committed change by id.
	live, next map[int64]int64
	committed  map[int64][]counterChange
}

func newCounterWorkload(db *sql.DB, keys int) *counterWorkload {
	return &counterWorkload{db: db, rng: rand.New(rand.NewPCG(5, 6)), keys: keys,
		live: map[int64]int64{}, next: map[int64]int64{}, committed: map[int64][]counterChange{}}
}

// run commits transactions, one every pace at most, until ctx ends.
func (w *counterWorkload) run(ctx context.Context, pace time.Duration) error {
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := w.txn(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

func (w *counterWorkload) txn(ctx context.Context) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	type pending struct {
		id int64
		ch counterChange
	}
	var done []pending
	touched := map[int64]bool{}
	for range 1 + w.rng.IntN(3) {
		id := int64(1 + w.rng.IntN(w.keys))
		if touched[id] {
			continue
		}
		touched[id] = true
		n, exists := w.live[id]
		next := w.next[id] + 1
		var ch counterChange
		switch {
		case !exists:
			_, err = tx.ExecContext(ctx, "INSERT INTO app.counters (id, n, pad) VALUES (?, ?, ?)",
				id, next, strings.Repeat("x", w.rng.IntN(300)))
			ch = counterChange{"insert", next}
		case w.rng.IntN(10) == 0:
			_, err = tx.ExecContext(ctx, "DELETE FROM app.counters WHERE id = ?", id)
			ch = counterChange{"delete", n}
			next = n
		default:
			_, err = tx.ExecContext(ctx, "UPDATE app.counters SET n = ? WHERE id = ?", next, id)
			ch = counterChange{"update", next}
		}
		if err != nil {
			return errors.Join(err, tx.Rollback())
		}
		done = append(done, pending{id, ch})
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, p := range done {
		w.committed[p.id] = append(w.committed[p.id], p.ch)
		if p.ch.op == "delete" {
			delete(w.live, p.id)
		} else {
			w.live[p.id] = p.ch.n
		}
		w.next[p.id] = p.ch.n
	}
	return nil
}

// Kill -9 the service at random moments while a source streams into
// Kinesis, restart it each time, then read the stream back across its
// shards: every committed change is there, each key's in commit order;
// what repeats is only the replay after a restart, of changes after the
// checkpoint the kill left.
func TestKinesisKillNineResume(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.counters (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, pad TEXT)")
	k := testenv.StartKinesisT(t)
	require.NoError(t, k.CreateStream(t.Context(), "cdc", 2))

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `log:
  format: text
pebble:
  dir: %s
checkpoint:
  interval: 100ms
http:
  listen: %s
sources:
  - name: alpha
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 5001
    start: current
sinks:
  - name: stream
    type: kinesis
    kinesis:
      region: us-east-1
      endpoint: %s
      stream: cdc
`, filepath.Join(dir, "pebble"), testenv.FreeAddr(t), srv.Port, k.Endpoint), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	logs := &testenv.LogBuffer{}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", cfgPath)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
		cmd.Stderr = logs
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	cmd := start()
	waitStreaming(t, cfg)
	// Paced, so the drain stays short on a busy machine: a key has one
	// record in flight at a time, so few keys drain slowly.
	wl := newCounterWorkload(srv.DB(t, ""), 200)
	ctx, stop := context.WithCancel(t.Context())
	wlErr := make(chan error, 1)
	go func() { wlErr <- wl.run(ctx, 3*time.Millisecond) }()

	// kills holds when each kill was over and the checkpoint it left.
	type kill struct {
		at time.Time
		cp uint64
	}
	var kills []kill
	rng := rand.New(rand.NewPCG(3, 4))
	for range 6 {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		kills = append(kills, kill{time.Now(), checkpointSeq(t, cfg, "alpha")})
		cmd = start()
		waitStreaming(t, cfg)
	}
	stop()
	require.NoError(t, <-wlErr)
	out, err := exec.Command(bin, "status", "--config", cfgPath, "--wait", "--timeout", "2m").CombinedOutput()
	require.NoError(t, err, "%s\nservice log:\n%s", out, logs)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", logs)

	recs, err := k.ReadStream(t.Context(), "cdc")
	require.NoError(t, err)
	got := map[int64][]counterChange{}
	seen := map[string]bool{}
	repeats := 0
	for _, r := range recs {
		e, err := envelope.Decode(r.Data)
		require.NoError(t, err, "%s", r.Data)
		id := number(t, e.Key["id"])
		require.Equal(t, fmt.Sprintf(`["app","counters",%d]`, id), r.PartitionKey)
		change := e.GTID + "/" + strconv.Itoa(e.Row)
		if seen[change] {
			// Sent again by the process started after the last kill
			// before its arrival: it must be after that kill's
			// checkpoint.
			repeats++
			last := -1
			for i, k := range kills {
				if k.at.Before(r.Arrival) {
					last = i
				}
			}
			require.GreaterOrEqual(t, last, 0, "change %s repeated before any restart", change)
			require.Greater(t, gtidSeq(t, e.GTID), kills[last].cp,
				"change %s at or before the checkpoint of kill %d repeated", change, last)
			continue
		}
		seen[change] = true
		img := e.After
		if e.Op == "delete" {
			img = e.Before
		}
		got[id] = append(got[id], counterChange{e.Op, number(t, img["n"])})
	}
	total := 0
	for id, want := range wl.committed {
		require.Equal(t, want, got[id], "changes of id %d, in stream order", id)
		total += len(want)
	}
	require.Len(t, got, len(wl.committed), "no changes of ids never written")
	require.Positive(t, total)
	t.Logf("%d changes of %d ids, %d records, %d repeated after %d kills", total, len(got), len(recs), repeats, len(kills))
}

// checkpointSeq reads the GTID sequence of source's checkpoint from the
// store of a stopped service.
func checkpointSeq(t *testing.T, cfg *config.Config, source string) uint64 {
	t.Helper()
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	defer store.Close()
	pos, err := store.Position(source)
	require.NoError(t, err)
	return gtidSeq(t, pos.GTIDSet)
}

// number reads an envelope number.
func number(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	require.True(t, ok, "%v is not a number", v)
	i, err := n.Int64()
	require.NoError(t, err)
	return i
}

// A TRUNCATE on the source reaches every shard of the table's stream as a
// control record, after the records of the rows written before it and
// before those written after it.
func TestKinesisTruncateReachesEveryShard(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.counters (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, pad TEXT)")
	k := testenv.StartKinesisT(t)
	require.NoError(t, k.CreateStream(t.Context(), "cdc", 3))

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `log:
  format: text
pebble:
  dir: %s
checkpoint:
  interval: 100ms
http:
  listen: %s
sources:
  - name: alpha
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 5001
    start: current
sinks:
  - name: stream
    type: kinesis
    kinesis:
      region: us-east-1
      endpoint: %s
      stream: cdc
`, filepath.Join(dir, "pebble"), testenv.FreeAddr(t), srv.Port, k.Endpoint), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	logs := &testenv.LogBuffer{}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitStreaming(t, cfg)

	insert := func(from, to int) {
		for id := from; id < to; id++ {
			srv.Exec(t, fmt.Sprintf("INSERT INTO app.counters (id, n) VALUES (%d, 0)", id))
		}
	}
	insert(0, 30)
	srv.Exec(t, "TRUNCATE app.counters")
	insert(100, 130)
	out, err := exec.Command(bin, "status", "--config", cfgPath, "--wait", "--timeout", "1m").CombinedOutput()
	require.NoError(t, err, "%s\nservice log:\n%s", out, logs)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", logs)

	recs, err := k.ReadStream(t.Context(), "cdc")
	require.NoError(t, err)
	truncated := map[string]bool{} // by shard
	rows := 0
	for _, r := range recs {
		e, err := envelope.Decode(r.Data)
		require.NoError(t, err, "%s", r.Data)
		if e.Op == envelope.OpDDL {
			require.Equal(t, "truncate", e.DDL)
			require.Equal(t, "app.counters", e.Schema+"."+e.Table)
			require.Equal(t, "app.counters", r.PartitionKey)
			require.False(t, truncated[r.Shard], "one control record per shard")
			truncated[r.Shard] = true
			continue
		}
		rows++
		require.Equal(t, truncated[r.Shard], number(t, e.Key["id"]) >= 100,
			"shard %s: row %v against the truncate", r.Shard, e.Key["id"])
	}
	require.Len(t, truncated, 3, "a control record on every shard")
	require.Equal(t, 60, rows)
}

// run refuses to start when a Kinesis stream it routes to does not exist,
// naming it, instead of failing at the first record.
func TestRunRefusesAMissingKinesisStream(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	k := testenv.StartKinesisT(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `log:
  format: text
pebble:
  dir: %s
sources:
  - {name: alpha, host: 127.0.0.1, port: %d, user: root, server_id: 5001, start: current}
sinks:
  - name: stream
    type: kinesis
    kinesis: {region: us-east-1, endpoint: %s, stream: never-created}
`, filepath.Join(dir, "pebble"), srv.Port, k.Endpoint), 0o600))
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "sink stream: kinesis stream never-created does not exist in region us-east-1")
}
