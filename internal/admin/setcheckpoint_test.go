package admin

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/config"
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// oneSource starts a server holding db.t with one row, and returns it
// with a configuration whose store is new and whose one source, a, is it.
func oneSource(t *testing.T) (*testenv.Server, *config.Config) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 0})
	srv.Exec(t, "CREATE DATABASE db", "CREATE TABLE db.t (id INT PRIMARY KEY)", "INSERT INTO db.t VALUES (1)")
	cfg := storeConfig(t.TempDir())
	cfg.Sources = []source.Options{{Name: "a", Host: "127.0.0.1", Port: uint16(srv.Port), User: "root", ServerID: 77}}
	return srv, cfg
}

// checkpoint set refuses positions the server cannot stream from.
func TestSetCheckpointRefusesUnreachablePositions(t *testing.T) {
	_, cfg := oneSource(t)
	set := func(spec CheckpointSpec) error {
		spec.Source = "a"
		var out bytes.Buffer
		return SetCheckpoint(t.Context(), cfg, spec, slog.New(slog.DiscardHandler), &out)
	}
	require.ErrorContains(t, set(CheckpointSpec{GTIDSet: "0-1-999999"}), "GTID set 0-1-999999 is ahead of the server")
	require.ErrorContains(t, set(CheckpointSpec{File: "mysql-bin.999999", Pos: 4}), "the server has no binary log mysql-bin.999999")
	require.ErrorContains(t, set(CheckpointSpec{File: "mysql-bin.000001", Pos: 1 << 30}), "is past the end of mysql-bin.000001")
	require.NoError(t, set(CheckpointSpec{GTIDSet: "0-1-1"}))
	require.NoError(t, set(CheckpointSpec{File: "mysql-bin.000001", Pos: 4}))
}

// status --wait-gtid waits for a source's checkpoint to hold a GTID set,
// whatever the server has executed since: the cutover gate.
func TestStatusWaitsForAGTIDSet(t *testing.T) {
	_, cfg := oneSource(t)
	quiet := slog.New(slog.DiscardHandler)
	require.NoError(t, SetCheckpoint(t.Context(), cfg, CheckpointSpec{Source: "a", GTIDSet: "0-1-2"}, quiet, io.Discard))

	var out bytes.Buffer
	opts := StatusOptions{Wait: true, Timeout: time.Second, Gates: map[string]string{"a": "0-1-2"}}
	require.NoError(t, PrintStatus(t.Context(), cfg, opts, quiet, &out), "the checkpoint holds the set")
	opts.Gates["a"] = "0-1-3"
	err := PrintStatus(t.Context(), cfg, opts, quiet, &out)
	require.ErrorIs(t, err, ErrFound, "not there yet: a finding, exit 1")
	opts.Gates = map[string]string{"nope": "0-1-1"}
	require.ErrorContains(t, PrintStatus(t.Context(), cfg, opts, quiet, &out), "--wait-gtid names nope, which is not a configured source")
}

// status shows every source when one cannot be read, and says why after
// the table, exiting as on an error.
func TestStatusShowsTheOthersBesideAnUnreadableSource(t *testing.T) {
	_, cfg := oneSource(t)
	cfg.Sources = append(cfg.Sources, source.Options{Name: "b", Host: "127.0.0.1", Port: freePort(t), User: "root", ServerID: 78})
	quiet := slog.New(slog.DiscardHandler)
	require.NoError(t, SetCheckpoint(t.Context(), cfg, CheckpointSpec{Source: "a", GTIDSet: "0-1-1"}, quiet, io.Discard))

	var out bytes.Buffer
	err := PrintStatus(t.Context(), cfg, StatusOptions{Timeout: 5 * time.Second}, quiet, &out)
	require.ErrorContains(t, err, "reading current position of b")
	require.NotErrorIs(t, err, ErrFound, "an error, exit 2")
	require.Regexp(t, `(?m)^a\s+false\s+gtid=0-1-1\s+gtid=0-1-\d+ file=`, out.String())
	require.Regexp(t, `(?m)^b\s+false\s+none\s+unreadable \(see below\)`, out.String())

	// Waiting, the unreadable source is not caught up, and says why.
	err = PrintStatus(t.Context(), cfg, StatusOptions{Wait: true, Timeout: time.Second}, quiet, &out)
	require.ErrorIs(t, err, ErrFound, "a timeout: exit 1")
	require.ErrorContains(t, err, "reading current position of b")
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) uint16 {
	_, port, err := net.SplitHostPort(testenv.FreeAddr(t))
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	return uint16(n)
}

// status --wait waits for the positions it read first: a source written
// all the time (a heartbeat) is caught up once its checkpoint reaches
// them, not chased.
func TestStatusWaitsForThePositionsItRead(t *testing.T) {
	srv, cfg := oneSource(t)
	quiet := slog.New(slog.DiscardHandler)
	readers := replicator.NewReaders(cfg, nil, nil, quiet)
	cur, err := readers["a"].CurrentPosition(t.Context())
	require.NoError(t, err)
	require.NoError(t, SetCheckpoint(t.Context(), cfg, CheckpointSpec{Source: "a", GTIDSet: cur.GTIDSet}, quiet, io.Discard))

	fixed := map[string]change.Position{}
	got, err := lags(t.Context(), cfg, readers, nil, fixed)
	require.NoError(t, err)
	require.True(t, got[0].CaughtUp)
	srv.Exec(t, "INSERT INTO db.t VALUES (2)")
	got, err = lags(t.Context(), cfg, readers, nil, fixed)
	require.NoError(t, err)
	require.True(t, got[0].CaughtUp, "the position read first is reached")
	got, err = lags(t.Context(), cfg, readers, nil, nil)
	require.NoError(t, err)
	require.False(t, got[0].CaughtUp, "read again, the source is ahead")
}
