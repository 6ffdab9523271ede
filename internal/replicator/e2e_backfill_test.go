package replicator_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/envelope"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// backfillSchema has a table keyed by an integer, one by a composite key
// with a case-insensitive string, one by a unique key of NOT NULL columns
// only, and an empty one.
var backfillSchema = []string{
	"CREATE DATABASE app",
	"CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
	"CREATE TABLE app.c (team VARCHAR(20) COLLATE utf8mb4_general_ci NOT NULL, n INT NOT NULL, v TEXT, PRIMARY KEY (team, n))",
	"CREATE TABLE app.u (code VARCHAR(10) NOT NULL, v INT, nullable INT, UNIQUE KEY maybe (nullable), UNIQUE KEY code (code))",
	"CREATE TABLE app.empty (id INT PRIMARY KEY)",
}

// writeBackfillConfig writes a configuration streaming srv as source
// alpha into a jsonl file with backfill: initial and small chunks, and
// returns its path and the output path.
func writeBackfillConfig(t *testing.T, dir string, srv *testenv.Server, extra string) (string, string) {
	t.Helper()
	out := filepath.Join(dir, "changes.jsonl")
	cfg := fmt.Sprintf(`log:
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
    server_id: 7001
    backfill: initial
    backfill_chunk_rows: 97
%ssinks:
  - name: out
    type: jsonl
    jsonl:
      path: %s
`, filepath.Join(dir, "pebble"), testenv.FreeAddr(t), srv.Port, extra, out)
	path := filepath.Join(dir, "tributary.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path, out
}

// churn updates, deletes, re-inserts and re-keys random rows of app.t and
// app.c until ctx ends, so that changes race with the chunks being read.
func churn(ctx context.Context, db *sql.DB, seed uint64, maxID int) error {
	rng := rand.New(rand.NewPCG(seed, 1))
	teams := []string{"a", "B", "c", "Dd"}
	for i := 0; ctx.Err() == nil; i++ {
		id := rng.IntN(maxID) + 1
		team := teams[rng.IntN(len(teams))]
		n := rng.IntN(maxID / 4)
		var q []string
		switch rng.IntN(7) {
		case 0:
			q = []string{fmt.Sprintf("UPDATE app.t SET v = CONCAT(v, '+') WHERE id = %d", id)}
		case 1:
			q = []string{fmt.Sprintf("DELETE FROM app.t WHERE id = %d", id)}
		case 2:
			q = []string{fmt.Sprintf("INSERT INTO app.t VALUES (%d, 'again') ON DUPLICATE KEY UPDATE v = 'dup'", id)}
		case 3: // a key change, to a free key above the range or back into it
			q = []string{fmt.Sprintf("UPDATE IGNORE app.t SET id = %d WHERE id = %d", id+maxID*(1+rng.IntN(2)), id),
				fmt.Sprintf("UPDATE IGNORE app.t SET id = %d WHERE id = %d", id, id+maxID)}
		case 4: // a case-only key change, and a key change across teams
			q = []string{fmt.Sprintf("UPDATE IGNORE app.c SET team = '%s' WHERE team = '%s' AND n = %d", strings.ToUpper(team), team, n),
				fmt.Sprintf("UPDATE IGNORE app.c SET team = '%s', n = %d WHERE team = '%s' AND n = %d", teams[rng.IntN(len(teams))], rng.IntN(maxID/4), team, n)}
		case 5:
			q = []string{fmt.Sprintf("DELETE FROM app.c WHERE team = '%s' AND n = %d", team, n),
				fmt.Sprintf("UPDATE app.u SET v = v + 1 WHERE code = 'k%d'", id)}
		case 6: // several rows in one transaction, inside a chunk's range
			q = []string{"BEGIN",
				fmt.Sprintf("UPDATE app.t SET v = 'x' WHERE id BETWEEN %d AND %d", id, id+20),
				fmt.Sprintf("INSERT IGNORE INTO app.c VALUES ('%s', %d, 'new')", team, n),
				"COMMIT"}
		}
		for _, s := range q {
			if _, err := db.ExecContext(context.Background(), s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// preload fills app.t with n rows, app.c with n/2 and app.u with n/10.
func preload(t *testing.T, srv *testenv.Server, n int) {
	t.Helper()
	srv.Exec(t, backfillSchema...)
	srv.Exec(t,
		fmt.Sprintf("INSERT INTO app.t SELECT seq, REPEAT('v', seq %% 50) FROM app.seq_1_to_%d", n),
		fmt.Sprintf("INSERT INTO app.c SELECT ELT(1 + seq %% 4, 'a', 'B', 'c', 'Dd'), seq DIV 4, CONCAT('row ', seq) FROM app.seq_1_to_%d", n/2),
		fmt.Sprintf("INSERT INTO app.u SELECT CONCAT('k', seq), seq, NULL FROM app.seq_1_to_%d", n/10))
}

// replayState applies the envelopes of a table like a consumer: inserts,
// updates and reads upsert the after image at the key, deletes delete
// the key. It returns each row as "col=value|..." by its key.
func replayState(t *testing.T, envs []envelope.Envelope, table string, key ...string) map[string]string {
	t.Helper()
	state := map[string]string{}
	encode := func(img envelope.Image, cols []string) string {
		var b strings.Builder
		for _, c := range cols {
			v, err := json.Marshal(img[c])
			require.NoError(t, err)
			fmt.Fprintf(&b, "%s=%s|", c, v)
		}
		return b.String()
	}
	for _, e := range envs {
		if e.Table != table {
			continue
		}
		switch e.Op {
		case "delete":
			delete(state, encode(e.Before, key))
		case "update":
			delete(state, encode(e.Before, key))
			fallthrough
		case "insert", "read":
			cols := make([]string, 0, len(e.After))
			for c := range e.After {
				cols = append(cols, c)
			}
			slices.Sort(cols)
			state[encode(e.After, key)] = encode(e.After, cols)
		case "ddl":
			// A table statement's control record: only a truncate or a
			// drop changes the rows.
			if e.DDL == "truncate" || e.DDL == "drop" {
				clear(state)
			}
		default:
			t.Fatalf("unknown op %q", e.Op)
		}
	}
	return state
}

// sourceState reads table as replayState renders it, with the same keys.
func sourceState(t *testing.T, db *sql.DB, table string, key ...string) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	sorted := slices.Sorted(slices.Values(cols))
	state := map[string]string{}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		img := envelope.Image{}
		for i, c := range cols {
			if vals[i].Valid {
				img[c] = vals[i].String
			}
		}
		encode := func(names []string) string {
			var b strings.Builder
			for _, c := range names {
				v, err := json.Marshal(img[c])
				require.NoError(t, err)
				fmt.Fprintf(&b, "%s=%s|", c, v)
			}
			return b.String()
		}
		state[encode(key)] = encode(sorted)
	}
	require.NoError(t, rows.Err())
	return state
}

// normalize renders JSON numbers as the strings the source query gives.
func normalize(envs []envelope.Envelope) []envelope.Envelope {
	for i := range envs {
		for _, img := range []envelope.Image{envs[i].Before, envs[i].After} {
			for k, v := range img {
				if n, ok := v.(json.Number); ok {
					img[k] = n.String()
				}
			}
		}
	}
	return envs
}

// TestBackfillIntoJSONL starts a source with backfill: initial while a
// workload updates, deletes, re-inserts and re-keys rows, including rows
// of the chunk being read: a consumer that applies the jsonl file (reads
// as upserts) ends with exactly the source's rows, composite,
// case-insensitive and unique-key tables included, and the empty table
// is done without rows.
func TestBackfillIntoJSONL(t *testing.T) {
	tests := []struct {
		name  string
		extra string
	}{
		// Two workers, chunks growing from 97 rows.
		{"defaults", ""},
		// Every table at once, in chunks of 97 to 300 rows: three windows
		// open together while the churn writes.
		{"three workers", "    backfill_workers: 3\n    backfill_chunk_rows_max: 300\n    backfill_chunk_time: 10ms\n"},
		// 3,800 rows at 1,500 rows/s take a couple of seconds of waits;
		// the threads limit, far above an idle server's, never pauses.
		{"throttled", "    backfill_max_rows_per_second: 1500\n    backfill_max_threads_running: 500\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metrics := testBackfillIntoJSONL(t, tt.extra)
			rate := regexp.MustCompile(`tributary_backfill_throttled_seconds_total\{reason="rate",source="alpha"\} (\S+)`).
				FindStringSubmatch(metrics)
			if !strings.Contains(tt.extra, "max_rows_per_second") {
				require.Nil(t, rate, "throttled without a cap")
				return
			}
			require.NotNil(t, rate, "no rate wait counted")
			waited, err := strconv.ParseFloat(rate[1], 64)
			require.NoError(t, err)
			require.Greater(t, waited, 0.5)
			require.NotContains(t, metrics, `reason="threads_running"`)
		})
	}
}

// testBackfillIntoJSONL copies the preloaded tables under churn with the
// extra source settings, checks the output against the source and returns
// the service's metrics at the end.
func testBackfillIntoJSONL(t *testing.T, extra string) string {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 3000)
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, extra)
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	db := srv.DB(t, "")
	var metrics string
	runWhile(t, cfg, replicator.Options{}, func() {
		ctx, stop := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- churn(ctx, db, 1, 3000) }()
		time.Sleep(1500 * time.Millisecond)
		stop()
		require.NoError(t, <-errc)
		waitCaughtUp(t, cfgPath)
		metrics = scrapeAddr(t, cfg.HTTP.Listen)
	})

	envs := normalize(readEnvelopes(t, out))
	reads := map[string]int{}
	for _, e := range envs {
		require.NotEqual(t, "tributary", e.Schema, "a watermark reached the sink")
		if e.Op == "read" {
			reads[e.Table]++
			require.Nil(t, e.Before)
		}
	}
	require.Positive(t, reads["t"])
	require.Positive(t, reads["c"])
	require.Positive(t, reads["u"])
	require.Zero(t, reads["empty"])
	for _, tc := range []struct {
		table string
		key   []string
	}{{"t", []string{"id"}}, {"c", []string{"team", "n"}}, {"u", []string{"code"}}, {"empty", []string{"id"}}} {
		want := sourceState(t, db, "app."+tc.table, tc.key...)
		got := replayState(t, envs, tc.table, tc.key...)
		require.Equal(t, len(want), len(got), "table %s", tc.table)
		require.Equal(t, want, got, "table %s", tc.table)
		// Every read the sink got is counted, by table.
		require.Contains(t, metrics, fmt.Sprintf(`tributary_backfill_rows_total{source="alpha",table="app.%s"} %d`,
			tc.table, reads[tc.table]), "table %s", tc.table)
	}
	require.Contains(t, metrics, `tributary_backfill_tables_pending{source="alpha"} 0`)
	require.Regexp(t, `tributary_backfill_chunks_total\{source="alpha",table="app.t"\} [1-9]`, metrics)
	t.Logf("%d lines, reads by table %v", len(envs), reads)
	return metrics
}

// scrapeAddr returns /metrics of the service listening on addr.
func scrapeAddr(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// waitCaughtUp runs tributary status --wait, which waits for the
// backfills too.
func waitCaughtUp(t *testing.T, cfgPath string) {
	t.Helper()
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	out, err := exec.Command(bin, "status", "--config", cfgPath, "--wait", "--timeout", "3m").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NotContains(t, string(out), "false")
}

// TestBackfillRefusesTableWithoutKey: a table the initial backfill would
// copy that has neither a primary key nor a unique key of NOT NULL
// columns refuses the first start, saving no position, so the start can
// be made again once the table has a key.
func TestBackfillRefusesTableWithoutKey(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
		"CREATE TABLE app.nokey (a INT, b INT, UNIQUE KEY ab (a, b))",
		"INSERT INTO app.t VALUES (1, 'one')", "INSERT INTO app.nokey VALUES (1, 2)")
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	err = refused(t, cfg, replicator.Options{})
	for _, want := range []string{"backfill: initial", "source alpha, table app.nokey",
		"app.nokey has no primary key and no unique key of NOT NULL columns", "unique keys with nullable columns: ab"} {
		require.ErrorContains(t, err, want)
	}
	store, err := checkpoint.Open(cfg.Pebble.Dir, nil)
	require.NoError(t, err)
	_, err = store.Position("alpha")
	require.ErrorIs(t, err, checkpoint.ErrNotFound, "a refused start saved a position")
	require.NoError(t, store.Close())

	srv.Exec(t, "ALTER TABLE app.nokey MODIFY a INT NOT NULL, MODIFY b INT NOT NULL")
	runWhile(t, cfg, replicator.Options{}, func() {
		waitCaughtUp(t, cfgPath)
	})
	var ops []string
	for _, e := range readEnvelopes(t, out) {
		ops = append(ops, e.Op+" "+e.Table)
	}
	require.ElementsMatch(t, []string{"read nokey", "read t"}, ops)
}

// TestBackfillCommand asks a running service for a backfill restricted
// by a predicate, and checks the command's refusals: a statement for a
// predicate, an unknown source, a mapping without mappings, no service.
func TestBackfillCommand(t *testing.T) {
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 500)
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, "")
	// Started at its current position, with nothing copied.
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "backfill: initial", "start: current", 1)), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	backfill := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"backfill", "--config", cfgPath}, args...)...).CombinedOutput()
		return string(out), err
	}

	runWhile(t, cfg, replicator.Options{}, func() {
		got, err := backfill("--where", "id <= 100 OR team = 'B'")
		require.Error(t, err)
		require.Contains(t, got, "the service refused the backfill")
		require.Contains(t, got, "nothing started", "a predicate that does not read on every table refuses them all")

		got, err = backfill("--where", "id <= 100; DROP TABLE app.t")
		require.Error(t, err)
		require.Contains(t, got, "holds a ';'")
		got, err = backfill("--source", "nope")
		require.Error(t, err)
		require.Contains(t, got, "unknown source(s) nope; configured: alpha")
		got, err = backfill("--mapping", "global.t")
		require.Error(t, err)
		require.Contains(t, got, "--mapping needs mappings")

		srv.Exec(t, "DROP TABLE app.c", "DROP TABLE app.u", "DROP TABLE app.empty")
		_, err = backfill("--detach", "--follow")
		require.ErrorContains(t, err, "exit status 2")
		// --follow polls /status until the table is done, drawing its
		// bar with the rows counted before the copy began.
		got, err = backfill("--source", "alpha", "--where", "id <= 100", "--follow")
		require.NoError(t, err, "%s", got)
		require.Regexp(t, `alpha\s+app.t\s+id\s+100\n`, got)
		require.Contains(t, got, "backfill started for 1 table(s)\n")
		require.Regexp(t, `alpha app.t .*\]\s+100 rows 100%\s+done`, got)
		require.Contains(t, got, "backfill done for 1 table(s)")
		waitCaughtUp(t, cfgPath)
		st, err := exec.Command(bin, "status", "--config", cfgPath).CombinedOutput()
		require.NoError(t, err)
		require.Regexp(t, `alpha\s+app.t where id <= 100\s+true\s+2\s+100\s+100\s+100%`, string(st))

		// A predicate the server takes but that fails on the rows (a
		// subquery that finds several) ends that backfill, not the
		// service.
		got, err = backfill("--where", "id = (SELECT s.id FROM app.t s WHERE s.id > 0)", "--detach")
		require.NoError(t, err, "%s", got)
		waitFor(t, 30*time.Second, "the failed backfill in the status", func() bool {
			st, _ := exec.Command(bin, "status", "--config", cfgPath).CombinedOutput()
			return strings.Contains(string(st), "its predicate fails on the source's rows") && strings.Contains(string(st), "error 1242")
		})
		require.True(t, healthy(cfg), "the service goes on")
	})
	// A restart does not take the failed backfill up again.
	runWhile(t, cfg, replicator.Options{}, func() {
		st, err := exec.Command(bin, "status", "--config", cfgPath).CombinedOutput()
		require.NoError(t, err)
		require.Contains(t, string(st), "its predicate fails on the source's rows")
	})
	reads := 0
	for _, e := range readEnvelopes(t, out) {
		if e.Op == "read" {
			reads++
		}
	}
	require.Equal(t, 100, reads)

	got, err := backfill()
	require.Error(t, err)
	require.Contains(t, got, "no running tributary answers at "+cfg.HTTP.Listen)
	require.Contains(t, got, "backfill: initial")
}

// TestBackfillAcrossDDL adds and drops a column of the table being
// backfilled again and again: a chunk whose watermarks a statement on its
// table came between is read again, so every copied row has the columns
// the table had where the row went into the stream, and the rows end as
// the source's.
func TestBackfillAcrossDDL(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	preload(t, srv, 10000)
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, "")
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	type ddl struct {
		seq   uint64
		added bool
	}
	var ddls []ddl
	db := srv.DB(t, "")
	runWhile(t, cfg, replicator.Options{}, func() {
		conn, err := db.Conn(t.Context())
		require.NoError(t, err)
		defer conn.Close()
		done := func() bool {
			for _, s := range fetchStatus(cfg) {
				for _, b := range s.Backfill {
					if b.Table == "app.t" {
						return b.Done
					}
				}
			}
			return false
		}
		deadline := time.Now().Add(2 * time.Minute)
		for i := 0; !done() || len(ddls) < 2; i++ {
			require.True(t, time.Now().Before(deadline), "the backfill did not end (or the service stopped)")
			stmt := "ALTER TABLE app.t ADD COLUMN extra INT NOT NULL DEFAULT 7"
			if i%2 == 1 {
				stmt = "ALTER TABLE app.t DROP COLUMN extra"
			}
			_, err := conn.ExecContext(t.Context(), stmt)
			require.NoError(t, err)
			var gtid string
			require.NoError(t, conn.QueryRowContext(t.Context(), "SELECT @@last_gtid").Scan(&gtid))
			ddls = append(ddls, ddl{seq: gtidSeq(t, gtid), added: i%2 == 0})
			time.Sleep(5 * time.Millisecond)
		}
		if ddls[len(ddls)-1].added {
			_, err := conn.ExecContext(t.Context(), "ALTER TABLE app.t DROP COLUMN extra")
			require.NoError(t, err)
		}
		waitCaughtUp(t, cfgPath)
	})

	envs := normalize(readEnvelopes(t, out))
	with, without := 0, 0
	for _, e := range envs {
		if e.Table != "t" || e.Op != "read" {
			continue
		}
		seq := gtidSeq(t, e.GTID)
		added := false
		for _, d := range ddls {
			if d.seq < seq {
				added = d.added
			}
		}
		_, has := e.After["extra"]
		require.Equal(t, added, has, "row %v copied in transaction %s, after the statements %v", e.Key, e.GTID, ddls)
		if has {
			with++
		} else {
			without++
		}
	}
	require.Positive(t, with+without)
	for i := range envs {
		delete(envs[i].Before, "extra")
		delete(envs[i].After, "extra")
	}
	require.Equal(t, sourceState(t, db, "app.t", "id"), replayState(t, envs, "t", "id"))
	t.Logf("%d statements; rows copied with the column %d, without %d", len(ddls), with, without)
}

// TestBackfillPrivileges runs the initial backfill as a user with the
// README's privileges only: replication, SELECT, and CREATE, INSERT and
// UPDATE on tributary.*, of which INSERT and UPDATE are enough once the
// watermark table is there; without them, the start is refused with the
// privileges it needs.
func TestBackfillPrivileges(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1})
	srv.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT)",
		"INSERT INTO app.t VALUES (1, 'one'), (2, 'two')",
		"CREATE USER 'tb'@'127.0.0.1' IDENTIFIED BY 'pw'",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'tb'@'127.0.0.1'")
	t.Setenv("TB_PW", "pw")
	dir := t.TempDir()
	cfgPath, out := writeBackfillConfig(t, dir, srv, "")
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "user: root", "user: tb\n    password_env: TB_PW", 1)), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)

	err = refused(t, cfg, replicator.Options{})
	require.ErrorContains(t, err, "the source user needs CREATE, INSERT and UPDATE on tributary.*")

	srv.Exec(t, "GRANT CREATE, INSERT, UPDATE ON `tributary`.* TO 'tb'@'127.0.0.1'")
	runWhile(t, cfg, replicator.Options{}, func() { waitCaughtUp(t, cfgPath) })
	reads := func() int {
		n := 0
		for _, e := range readEnvelopes(t, out) {
			if e.Op == "read" {
				n++
			}
		}
		return n
	}
	require.Equal(t, 2, reads())

	// Once the watermark table is there, INSERT and UPDATE on it are
	// enough.
	srv.Exec(t, "REVOKE CREATE ON `tributary`.* FROM 'tb'@'127.0.0.1'")
	bin, err := testenv.BuildTributary()
	require.NoError(t, err)
	runWhile(t, cfg, replicator.Options{}, func() {
		got, err := exec.Command(bin, "backfill", "--config", cfgPath).CombinedOutput()
		require.NoError(t, err, "%s", got)
		waitCaughtUp(t, cfgPath)
	})
	require.Equal(t, 4, reads())
}
