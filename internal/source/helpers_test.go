package source

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// waitTimeout bounds every wait for the reader in the integration tests.
const waitTimeout = 60 * time.Second

// startMariaDB starts a server with extra mariadbd arguments and creates
// the database db on it.
func startMariaDB(t *testing.T, extra ...string) *testenv.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	s := testenv.StartT(t, testenv.Options{ServerID: 1, ExtraArgs: extra})
	s.Exec(t, "CREATE DATABASE db")
	return s
}

// testOptions returns reader options for s as root.
func testOptions(s *testenv.Server) Options {
	return Options{
		Name: "src", Host: "127.0.0.1", Port: uint16(s.Port), User: "root", ServerID: 1001,
		Logger: testLogger(),
	}
}

// testLogger logs warnings to stderr.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// running is a Reader.Run in progress.
type running struct {
	out    chan *change.Txn
	cancel context.CancelFunc
	// finished is closed when Run has returned err.
	finished chan struct{}
	err      error
	// checked is set once a test looked at err.
	checked bool
}

// run starts r.Run from start with an out channel of capacity buffer, and
// stops it when the test ends.
func run(t *testing.T, r *Reader, start change.Position, buffer int) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{out: make(chan *change.Txn, buffer), finished: make(chan struct{}), cancel: cancel}
	go func() {
		rr.err = r.Run(ctx, start, rr.out)
		close(rr.finished)
	}()
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

// stop cancels the run and waits for it; a clean shutdown returns nil.
func (rr *running) stop(t *testing.T) {
	t.Helper()
	rr.cancel()
	select {
	case <-rr.finished:
	case <-time.After(waitTimeout):
		t.Fatal("reader did not stop")
	}
	if !rr.checked {
		rr.checked = true
		require.NoError(t, rr.err)
	}
}

// next returns the next part the reader sends.
func (rr *running) next(t *testing.T) *change.Txn {
	t.Helper()
	select {
	case txn := <-rr.out:
		return txn
	case <-rr.finished:
		rr.checked = true
		t.Fatalf("reader stopped: %v", rr.err)
	case <-time.After(waitTimeout):
		t.Fatal("no transaction from the reader")
	}
	return nil
}

// nextWithChanges returns the next transaction that has changes, read
// whole; it must be a single part.
func (rr *running) nextWithChanges(t *testing.T) *change.Txn {
	t.Helper()
	for {
		txn := rr.next(t)
		if len(txn.Changes) > 0 {
			require.True(t, txn.Last, "transaction in several parts")
			return txn
		}
	}
}

// quiet asserts that no transaction with changes arrives for d.
func (rr *running) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case txn := <-rr.out:
			require.Empty(t, txn.Changes, "unexpected transaction %s", txn.GTID)
		case <-rr.finished:
			rr.checked = true
			t.Fatalf("reader stopped: %v", rr.err)
		case <-deadline:
			return
		}
	}
}

// waitErr waits for Run to return and returns its error.
func (rr *running) waitErr(t *testing.T) error {
	t.Helper()
	for {
		select {
		case <-rr.out:
		case <-rr.finished:
			rr.checked = true
			return rr.err
		case <-time.After(waitTimeout):
			t.Fatal("reader did not fail")
		}
	}
}

// waitDumping waits until a binlog dump thread serves a replica.
func waitDumping(t *testing.T, db *sql.DB) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'").Scan(&n)
		return err == nil && n > 0
	}, waitTimeout, 20*time.Millisecond)
}

// positionOf reads the current position of s as root.
func positionOf(t *testing.T, s *testenv.Server) change.Position {
	t.Helper()
	p, err := New(testOptions(s)).CurrentPosition(context.Background())
	require.NoError(t, err)
	return p
}

// afterRows returns the After images of changes.
func afterRows(changes []change.RowChange) []change.Row {
	var out []change.Row
	for _, c := range changes {
		out = append(out, c.After)
	}
	return out
}

// columnNames returns the column names of t.
func columnNames(t *change.Table) []string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return out
}
