package bench

import (
	"bytes"
	"database/sql"
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

	"github.com/tributary-cdc/tributary/internal/testenv"
)

// BenchmarkResync repairs 10,000 scattered rows of a 100,000-row table
// (their target rows broken on purpose) with tributary resync --keys
// through a running service, and reports its time and the queries the
// source served during it (Questions and Com_select), against two
// baselines measured in the same run on the same servers: a backfill of
// the whole table through the same service, and one SELECT per key.
func BenchmarkResync(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := resyncBench(b, 100_000, 10_000)
		b.ReportMetric(r.resync.took.Seconds(), "resync-s")
		b.ReportMetric(float64(r.resync.questions), "resync-queries")
		b.ReportMetric(r.resync.took.Seconds()/r.backfill.took.Seconds(), "time-ratio-vs-backfill")
		b.ReportMetric(float64(r.resync.selects)/float64(r.perKey.selects), "select-ratio-vs-per-key")
		b.Logf("resync of %d scattered keys of %d rows: %s", r.keys, r.rows, r.resync)
		b.Logf("baseline, backfill of the whole table: %s", r.backfill)
		b.Logf("baseline, one SELECT per key: %s", r.perKey)
		b.Logf("ratios: time %.3f of the backfill's, %.3f of the per-key reads'; source SELECTs %.4f of the backfill's, "+
			"%.4f of the per-key reads'", r.resync.took.Seconds()/r.backfill.took.Seconds(),
			r.resync.took.Seconds()/r.perKey.took.Seconds(), float64(r.resync.selects)/float64(r.backfill.selects),
			float64(r.resync.selects)/float64(r.perKey.selects))
	}
}

// TestResyncBenchSmoke runs the benchmark on 3,000 rows and 300 keys, so
// that what make bench-resync measures keeps working.
func TestResyncBenchSmoke(t *testing.T) {
	r := resyncBench(t, 3000, 300)
	require.Positive(t, r.resync.selects)
	require.Less(t, r.resync.selects, r.perKey.selects)
}

// sourceCost is what one operation cost the source.
type sourceCost struct {
	took               time.Duration
	questions, selects int64
}

func (c sourceCost) String() string {
	return fmt.Sprintf("%.2fs, %d statements (Questions), %d SELECTs (Com_select)", c.took.Seconds(), c.questions, c.selects)
}

// resyncRun is what resyncBench measured.
type resyncRun struct {
	rows, keys               int
	resync, backfill, perKey sourceCost
}

// resyncBench loads rows rows, copies them with a running service, then
// measures a backfill of the whole table, one SELECT per key, and the
// resync of keys scattered keys broken in the target.
func resyncBench(tb testing.TB, rows, keys int) resyncRun {
	bin, err := testenv.BuildTributary()
	require.NoError(tb, err)
	src := testenv.StartT(tb, testenv.Options{ServerID: 1})
	dst := testenv.StartT(tb, testenv.Options{ServerID: 2})
	prepareTable(tb, src, rows, false, true)
	prepareTable(tb, dst, 0, false, true)
	cmd, addr := startCopier(tb, bin, src, dst, "    backfill: initial\n")
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	cfg := cmd.Args[len(cmd.Args)-1]
	require.NoError(tb, waitBackfill(addr, func(t tableProgress) bool { return t.Done }, 10*time.Minute))
	require.NoError(tb, waitCheckpointed(addr, gtidPos(tb, src.DB(tb, "")), 5*time.Minute))
	requireSameTable(tb, src, dst, "the initial copy")
	db := src.DB(tb, "")
	run := resyncRun{rows: rows, keys: keys}

	run.backfill = measureSource(tb, db, func() {
		resp, err := http.Post("http://"+addr+"/backfill", "application/json", strings.NewReader("{}"))
		require.NoError(tb, err)
		require.Equal(tb, http.StatusOK, resp.StatusCode)
		_ = resp.Body.Close()
		require.NoError(tb, waitBackfill(addr, func(t tableProgress) bool { return t.Done }, 10*time.Minute))
		require.NoError(tb, waitCheckpointed(addr, gtidPos(tb, db), 5*time.Minute))
	})

	rng := rand.New(rand.NewPCG(7, uint64(rows)))
	ids := rng.Perm(rows)[:keys]
	run.perKey = measureSource(tb, db, func() {
		for _, id := range ids {
			var c string
			require.NoError(tb, db.QueryRow("SELECT c FROM bench.sbtest1 WHERE id = ?", id+1).Scan(&c))
		}
	})

	var file bytes.Buffer
	list := make([]string, len(ids))
	for i, id := range ids {
		fmt.Fprintln(&file, id+1)
		list[i] = fmt.Sprint(id + 1)
	}
	path := filepath.Join(tb.TempDir(), "keys.txt")
	require.NoError(tb, os.WriteFile(path, file.Bytes(), 0o600))
	_, err = dst.DB(tb, "").Exec("UPDATE bench.sbtest1 SET c = 'broken' WHERE id IN (" + strings.Join(list, ",") + ")")
	require.NoError(tb, err)
	var out []byte
	run.resync = measureSource(tb, db, func() {
		out, err = exec.Command(bin, "resync", "--config", cfg, "--mapping", "bench.sbtest1", "--keys", path,
			"--settle", "5s").CombinedOutput()
	})
	require.NoError(tb, err, "%s", out)
	tb.Logf("tributary resync:\n%s", out)
	requireSameTable(tb, src, dst, "the resync")
	return run
}

// measureSource runs fn and returns its time and the statements the
// source served meanwhile (the two status reads included).
func measureSource(tb testing.TB, db *sql.DB, fn func()) sourceCost {
	q0, s0 := sourceStatus(tb, db)
	t0 := time.Now()
	fn()
	took := time.Since(t0)
	q1, s1 := sourceStatus(tb, db)
	return sourceCost{took: took, questions: q1 - q0, selects: s1 - s0}
}

// sourceStatus reads the server's Questions and Com_select.
func sourceStatus(tb testing.TB, db *sql.DB) (questions, selects int64) {
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select')")
	require.NoError(tb, err)
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		require.NoError(tb, rows.Scan(&name, &v))
		if name == "Questions" {
			questions = v
		} else {
			selects = v
		}
	}
	require.NoError(tb, rows.Err())
	return questions, selects
}
