package replicator_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// usersMapping maps app.users of source alpha into tgt.users with the
// name computed by expr.
func usersMapping(expr string) string {
	return `target: tgt.users
key: [id]
sources:
  - source: alpha
    table: app.users
    driving: true
    columns:
      id: id
      name: ` + expr + `
      email: email
`
}

// replayCluster is a source, a target and a service streaming one into a
// mysql sink (target) and a jsonl sink (out).
type replayCluster struct {
	src, tgt      *testenv.Server
	cfg, mapFile  string
	out, bin, dir string
}

func startReplayCluster(t *testing.T, expr string, extra ...string) *replayCluster {
	t.Helper()
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	c := &replayCluster{src: testenv.StartT(t, testenv.Options{ServerID: 1}), tgt: testenv.StartT(t, testenv.Options{ServerID: 2}),
		dir: t.TempDir(), bin: bin}
	c.src.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.users (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100))")
	c.tgt.Exec(t, "CREATE DATABASE tgt", "CREATE TABLE tgt.users (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100))")
	c.mapFile = filepath.Join(c.dir, "users.yaml")
	require.NoError(t, os.WriteFile(c.mapFile, []byte(usersMapping(expr)), 0o600))
	c.out = filepath.Join(c.dir, "changes.jsonl")
	cfg := fmt.Sprintf(`log:
  format: text
pebble:
  dir: %s
checkpoint:
  interval: 100ms
http:
  listen: %s
mappings:
  - %s
sources:
  - name: alpha
    host: 127.0.0.1
    port: %d
    user: root
    server_id: 7101
    start: current
%ssinks:
  - name: target
    type: mysql
    mysql:
      dsn: "%s"
  - name: out
    type: jsonl
    jsonl:
      path: %s
`, filepath.Join(c.dir, "pebble"), testenv.FreeAddr(t), c.mapFile, c.src.Port, strings.Join(extra, ""),
		c.tgt.DSN("root", "", "tgt"), c.out)
	c.cfg = filepath.Join(c.dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(c.cfg, []byte(cfg), 0o600))
	return c
}

// run starts the service and waits until it streams.
func (c *replayCluster) run(t *testing.T) (*exec.Cmd, *testenv.LogBuffer) {
	t.Helper()
	stderr := &testenv.LogBuffer{}
	cmd := exec.Command(c.bin, "run", "--config", c.cfg)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			lines := strings.Split(stderr.String(), "\n")
			t.Logf("the last lines of tributary's log:\n%s", strings.Join(lines[max(0, len(lines)-80):], "\n"))
		}
	})
	waitFor(t, 30*time.Second, "the service to stream", func() bool { return strings.Contains(stderr.String(), "msg=streaming") })
	return cmd, stderr
}

func (c *replayCluster) tributary(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(c.bin, append(append([]string{}, args...), "--config", c.cfg)...).CombinedOutput()
	return string(out), err
}

func (c *replayCluster) caughtUp(t *testing.T) {
	t.Helper()
	out, err := c.tributary(t, "status", "--wait", "--timeout", "60s")
	require.NoError(t, err, "%s", out)
}

// gtidPos returns the source's @@gtid_binlog_pos.
func gtidPos(t *testing.T, db *sql.DB) string {
	t.Helper()
	var pos string
	require.NoError(t, db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos))
	return pos
}

// filePos returns the source's binlog file and offset as FILE:POS.
func filePos(t *testing.T, db *sql.DB) string {
	t.Helper()
	var file string
	var pos uint64
	require.NoError(t, db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, new(any), new(any)))
	return fmt.Sprintf("%s:%d", file, pos)
}

// onlyCheckpoint returns the live checkpoint of source alpha from /status.
func onlyCheckpoint(t *testing.T, listen string) string {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st []replicator.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.Len(t, st, 1)
	return st[0].Checkpoint.GTIDSet
}

// A mapping lower-cased names by mistake. After it is fixed (SIGHUP),
// replaying the window of the affected writes into the mysql sink alone
// leaves each row the window touched as the fixed mapping makes of the
// source's current row: rows updated after the window keep their later
// image, rows deleted in the window or after it are gone, a re-keyed row
// moves; rows outside the window are left as they were, the jsonl sink
// gets nothing, and the checkpoint is never moved back.
func TestReplayWindowAfterMappingFix(t *testing.T) {
	c := startReplayCluster(t, "lower(name)")
	cmd, stderr := c.run(t)
	db := c.src.DB(t, "")
	c.src.Exec(t, "INSERT INTO app.users VALUES (100, 'Before', 'b@x')")
	c.caughtUp(t)

	// Commit times are whole seconds: the window's seconds are its own.
	time.Sleep(1100 * time.Millisecond)
	from, fromFile, fromTime := gtidPos(t, db), filePos(t, db), time.Now().UTC()
	for i := 1; i <= 10; i++ {
		c.src.Exec(t, fmt.Sprintf("INSERT INTO app.users VALUES (%d, 'Ann%d', 'a%d@x')", i, i, i))
	}
	c.src.Exec(t,
		"UPDATE app.users SET name = 'Bob' WHERE id = 2",
		"DELETE FROM app.users WHERE id = 3",
		"UPDATE app.users SET id = 12, name = 'Moved' WHERE id = 10",
		"BEGIN", "UPDATE app.users SET name = 'Tx' WHERE id IN (6, 7)", "DELETE FROM app.users WHERE id = 8", "COMMIT")
	to, toFile, toTime := gtidPos(t, db), filePos(t, db), time.Now().UTC()
	time.Sleep(1100 * time.Millisecond)
	c.src.Exec(t,
		"UPDATE app.users SET name = 'After' WHERE id = 4",
		"DELETE FROM app.users WHERE id = 5",
		"INSERT INTO app.users VALUES (3, 'Back', 'back@x')",
		"INSERT INTO app.users VALUES (200, 'Later', 'l@x')")
	c.caughtUp(t)

	target := func() []string {
		return dump(t, c.tgt.DB(t, ""), "SELECT id, name, email FROM tgt.users ORDER BY id")
	}
	require.Equal(t, []string{`"1"|"ann1"|"a1@x"|`, `"2"|"bob"|"a2@x"|`, `"3"|"back"|"back@x"|`, `"4"|"after"|"a4@x"|`,
		`"6"|"tx"|"a6@x"|`, `"7"|"tx"|"a7@x"|`, `"9"|"ann9"|"a9@x"|`, `"12"|"moved"|"a10@x"|`, `"100"|"before"|"b@x"|`,
		`"200"|"later"|"l@x"|`}, target(), "the mistaken mapping")

	require.NoError(t, os.WriteFile(c.mapFile, []byte(usersMapping("name")), 0o600))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, 30*time.Second, "the mappings to reload", func() bool { return strings.Contains(stderr.String(), "mappings reloaded") })

	lines := len(readEnvelopes(t, c.out))
	cfg, err := config.Load(c.cfg)
	require.NoError(t, err)
	cp := onlyCheckpoint(t, cfg.HTTP.Listen)

	out, err := c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target", "--dry-run")
	require.NoError(t, err, "%s", out)
	require.Contains(t, out, "dry run")
	require.Regexp(t, `app\.users\s+16\s+11\n`, out, "16 row changes touching 11 rows (the re-keyed one twice)")
	require.Contains(t, out, "nothing written")
	require.Contains(t, target(), `"1"|"ann1"|"a1@x"|`, "a dry run writes nothing")
	for _, w := range [][2]string{{fromFile, toFile}, {fromTime.Format(time.RFC3339Nano), toTime.Format(time.RFC3339Nano)}} {
		out, err := c.tributary(t, "replay", "--source", "alpha", "--from", w[0], "--to", w[1], "--sink", "target", "--dry-run")
		require.NoError(t, err, "%s", out)
		require.Regexp(t, `app\.users\s+16\s+11\n`, out, "the same window by %s..%s", w[0], w[1])
	}

	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `app\.users\s+16\s+11\s+8\s+3\s+0\n`, out, "8 rows read again, 3 gone (5, 8, 10)")
	require.Contains(t, out, "the checkpoint was not moved")
	c.src.Exec(t, "INSERT INTO app.users VALUES (300, 'Last', 'z@x')")
	c.caughtUp(t)
	require.Equal(t, []string{`"1"|"Ann1"|"a1@x"|`, `"2"|"Bob"|"a2@x"|`, `"3"|"Back"|"back@x"|`, `"4"|"After"|"a4@x"|`,
		`"6"|"Tx"|"a6@x"|`, `"7"|"Tx"|"a7@x"|`, `"9"|"Ann9"|"a9@x"|`, `"12"|"Moved"|"a10@x"|`, `"100"|"before"|"b@x"|`,
		`"200"|"later"|"l@x"|`, `"300"|"Last"|"z@x"|`}, target(),
		"the window's rows as the fixed mapping makes them of the source's rows now; the others untouched")
	envs := readEnvelopes(t, c.out)
	require.Len(t, envs, lines+1, "the jsonl sink got only the live insert")
	require.Equal(t, "insert", envs[len(envs)-1].Op)

	// The checkpoint only ever moved on.
	now := onlyCheckpoint(t, cfg.HTTP.Listen)
	require.GreaterOrEqual(t, gtidSeq(t, now), gtidSeq(t, cp), "checkpoint %s after %s", now, cp)

	// Into the jsonl sink alone: the rows' current images as reads, and
	// deletes of the rows gone; the target gets nothing.
	before := target()
	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "out")
	require.NoError(t, err, "%s", out)
	envs = readEnvelopes(t, c.out)
	ops := map[string]int{}
	for _, e := range envs[lines+1:] {
		ops[e.Op]++
	}
	require.Equal(t, map[string]int{"read": 8, "delete": 3}, ops)
	require.Equal(t, before, target())

	refusals := []struct {
		args []string
		want string
	}{
		{[]string{"--source", "alpha", "--from", from, "--to", to, "--sink", "nope"}, `--sink "nope" is not a configured sink (configured: target, out)`},
		{[]string{"--source", "beta", "--from", from, "--to", to, "--sink", "target"}, `--source "beta" is not a configured source`},
		{[]string{"--source", "alpha", "--from", from, "--to", to, "--sink", "target", "--mapping", "tgt.nope"}, "--mapping tgt.nope: neither"},
		{[]string{"--source", "alpha", "--from", to, "--to", from, "--sink", "target"}, "--from is after --to"},
		{[]string{"--source", "alpha", "--from", to, "--to", to, "--sink", "target"}, "--from is at or after --to"},
		{[]string{"--source", "alpha", "--from", from, "--to", "0-1-99999", "--sink", "target"}, "beyond the source's current position"},
		{[]string{"--source", "alpha", "--from", from, "--to", "2999-01-01T00:00:00Z", "--sink", "target"}, "same way"},
		{[]string{"--source", "alpha", "--from", "yesterday", "--to", to, "--sink", "target"}, "is neither an RFC 3339 time"},
	}
	for _, r := range refusals {
		out, err := c.tributary(t, append([]string{"replay"}, r.args...)...)
		require.Error(t, err, "%v", r.args)
		require.Contains(t, out, r.want, "%v", r.args)
	}

	// Once the window's binary logs are purged, it is refused as such.
	c.src.Exec(t, "FLUSH BINARY LOGS")
	var file string
	var pos any
	require.NoError(t, db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, new(any), new(any)))
	c.src.Exec(t, "INSERT INTO app.users VALUES (400, 'Flushed', 'f@x')")
	c.caughtUp(t)
	// A dump thread still on an older file (a window reader's connection
	// that the server has not noticed closed yet) holds the purge back.
	waitFor(t, 30*time.Second, "the older binary logs to be purged", func() bool {
		c.src.Exec(t, fmt.Sprintf("PURGE BINARY LOGS TO '%s'", file))
		return len(dump(t, db, "SHOW BINARY LOGS")) == 1
	})
	out, err = c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
	require.Error(t, err)
	require.Contains(t, out, "no longer retained")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}

// A replay racing live writes to the rows it reads again: each row ends
// as the source's, never older, whichever of the two wrote it last.
func TestReplayUnderWritesConverges(t *testing.T) {
	const rows = 2000
	c := startReplayCluster(t, "lower(name)", "    backfill_chunk_rows: 10\n")
	cmd, stderr := c.run(t)
	db := c.src.DB(t, "")
	from := gtidPos(t, db)
	for lo := 1; lo <= rows; lo += 500 {
		c.src.Exec(t, fmt.Sprintf("INSERT INTO app.users SELECT seq, CONCAT('Name', seq), CONCAT('e', seq) FROM app.seq_%d_to_%d",
			lo, lo+499))
	}
	c.src.Exec(t, "UPDATE app.users SET name = CONCAT(name, 'Up') WHERE id % 7 = 0", "DELETE FROM app.users WHERE id % 11 = 0")
	to := gtidPos(t, db)
	c.caughtUp(t)
	require.NoError(t, os.WriteFile(c.mapFile, []byte(usersMapping("name")), 0o600))
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, 30*time.Second, "the mappings to reload", func() bool { return strings.Contains(stderr.String(), "mappings reloaded") })

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(7, 1))
		// A statement on the table between a chunk's watermarks has it
		// read again, with the table's new columns. One every ddlEvery:
		// paced by the writer's own speed instead, a fast writer altered
		// the table more often than a chunk could be read, and the replay
		// gave up on a chunk read again 20 times, as it should for a table
		// altered without pause.
		const ddlEvery = 30 * time.Millisecond
		ddl := [2]string{"ALTER TABLE app.users ADD COLUMN extra INT", "ALTER TABLE app.users DROP COLUMN extra"}
		next, altered := time.Now(), 0
		for ctx.Err() == nil {
			id := rng.IntN(rows) + 1
			if now := time.Now(); !now.Before(next) {
				if _, err := db.ExecContext(context.Background(), ddl[altered%2]); err != nil {
					done <- err
					return
				}
				next, altered = now.Add(ddlEvery), altered+1
			}
			var q string
			switch rng.IntN(3) {
			case 0:
				q = fmt.Sprintf("UPDATE app.users SET name = CONCAT('Live', %d) WHERE id = %d", rng.IntN(1000), id)
			case 1:
				q = fmt.Sprintf("DELETE FROM app.users WHERE id = %d", id)
			default:
				q = fmt.Sprintf("INSERT INTO app.users (id, name, email) VALUES (%d, 'Again', 'a') ON DUPLICATE KEY UPDATE name = 'Dup'", id)
			}
			if _, err := db.ExecContext(context.Background(), q); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	out, err := c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, err, "%s", out)
	t.Logf("%s", out)
	c.caughtUp(t)
	t.Logf("chunks read again: %d", strings.Count(stderr.String(), "reading a recheck chunk again"))
	want := dump(t, db, "SELECT id, name, email FROM app.users ORDER BY id")
	got := dump(t, c.tgt.DB(t, ""), "SELECT id, name, email FROM tgt.users ORDER BY id")
	require.Equal(t, want, got, "the target differs from the source")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
}

// Stopping the service during a replay ends the replay, saying how to
// finish it, and the service stops cleanly.
func TestStopDuringReplay(t *testing.T) {
	c := startReplayCluster(t, "name", "    backfill_chunk_rows: 5\n")
	cmd, stderr := c.run(t)
	db := c.src.DB(t, "")
	from := gtidPos(t, db)
	c.src.Exec(t, "INSERT INTO app.users SELECT seq, 'n', 'e' FROM app.seq_1_to_20000")
	to := gtidPos(t, db)
	c.caughtUp(t)
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := c.tributary(t, "replay", "--source", "alpha", "--from", from, "--to", to, "--sink", "target")
		done <- result{out, err}
	}()
	waitFor(t, 30*time.Second, "the replay to start", func() bool { return strings.Contains(stderr.String(), "replay: reading the window") })
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", stderr)
	r := <-done
	require.Error(t, r.err, "%s", r.out)
	require.Contains(t, r.out, "run the same replay again to finish it")
}

// Without mappings a replay sends the current images of the rows the
// window touched, of every table, to the change sinks named.
func TestReplayWithoutMappings(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT)")
	cfgPath, out := writeConfig(t, t.TempDir(), map[string]*testenv.Server{"alpha": srv})
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		from := gtidPos(t, db)
		srv.Exec(t, "INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')", "DELETE FROM app.t WHERE id = 2")
		to := gtidPos(t, db)
		srv.Exec(t, "UPDATE app.t SET v = 'later' WHERE id = 3")
		waitCaughtUp(t, cfgPath)
		lines := len(readEnvelopes(t, out))
		got, err := exec.Command(bin, "replay", "--config", cfgPath, "--source", "alpha", "--from", from, "--to", to,
			"--sink", "out").CombinedOutput()
		require.NoError(t, err, "%s", got)
		envs := readEnvelopes(t, out)[lines:]
		var ops []string
		for _, e := range envs {
			img := e.After
			if e.Op == "delete" {
				img = e.Before
			}
			ops = append(ops, fmt.Sprintf("%s %v %v", e.Op, img["id"], img["v"]))
		}
		require.Equal(t, []string{"read 1 a", "delete 2 b", "read 3 later"}, ops)
	})
}
