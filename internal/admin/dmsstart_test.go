package admin

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/checkpoint"
	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/source"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// commits returns, for each committed transaction in the server's first
// binary log, the offsets of its first event, of its commit (Xid) event
// and of the event after it.
func commits(t *testing.T, srv *testenv.Server) [][3]uint32 {
	t.Helper()
	rows, err := srv.DB(t, "").QueryContext(t.Context(), "SHOW BINLOG EVENTS IN 'mysql-bin.000001'")
	require.NoError(t, err)
	defer rows.Close()
	var out [][3]uint32
	var begin uint32
	for rows.Next() {
		var log, typ, info string
		var pos, server, end uint32
		require.NoError(t, rows.Scan(&log, &pos, &typ, &server, &end, &info))
		switch typ {
		case "Gtid":
			begin = pos
		case "Xid":
			out = append(out, [3]uint32{begin, pos, end})
		}
	}
	require.NoError(t, rows.Err())
	return out
}

// checkpoint set --from-dms goes on exactly after the transaction a DMS
// recovery checkpoint or a record's stream-position names.
func TestSetCheckpointFromDMS(t *testing.T) {
	srv := testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 0})
	srv.Exec(t, "CREATE DATABASE db", "CREATE TABLE db.t (id INT PRIMARY KEY)",
		"INSERT INTO db.t VALUES (1)", "INSERT INTO db.t VALUES (2)", "INSERT INTO db.t VALUES (3)")
	txns := commits(t, srv)
	require.Len(t, txns, 3)
	dir := t.TempDir()
	cfg := storeConfig(dir)
	cfg.Sources = []source.Options{{Name: "a", Host: "127.0.0.1", Port: uint16(srv.Port), User: "root", ServerID: 77}}
	set := func(spec CheckpointSpec) (string, error) {
		spec.Source = "a"
		var out bytes.Buffer
		err := SetCheckpoint(t.Context(), cfg, spec, slog.New(slog.DiscardHandler), &out)
		return out.String(), err
	}
	saved := func() string {
		store, err := checkpoint.Open(dir, nil)
		require.NoError(t, err)
		defer store.Close()
		pos, err := store.Positions()
		require.NoError(t, err)
		return fmt.Sprintf("%s:%d", pos["a"].File, pos["a"].Pos)
	}
	// The checkpoint of a task that applied the first two inserts, in the
	// layout of DMS's documented example.
	second := txns[1]
	ckpt := fmt.Sprintf("checkpoint:V1#5#mysql-bin.000001:%d:-1:%d:1139:mysql-bin.000001:%d#0#0#*#0#93", second[1], second[2], second[0])
	out, err := set(CheckpointSpec{FromDMS: ckpt})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("mysql-bin.000001:%d", second[2]), saved())
	require.Contains(t, out, "from --from-dms")

	// The abbreviated file name, and a consumer that took the third
	// insert too: the later position wins, so nothing is sent twice.
	abbreviated := strings.ReplaceAll(ckpt, "mysql-bin.000001", "$.000001")
	third := txns[2]
	stream := fmt.Sprintf("mysql-bin.000001:%d:-1:%d:1140:mysql-bin.000001:%d", third[2], third[2], third[0])
	out, err = set(CheckpointSpec{FromDMS: abbreviated, DMSStreamPosition: stream})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("mysql-bin.000001:%d", third[2]), saved())
	require.Contains(t, out, "from --dms-stream-position")

	_, err = set(CheckpointSpec{FromDMS: "00000002/7C007178.3.00000002/7C007178"})
	require.ErrorIs(t, err, dms.ErrBadPosition)
	_, err = set(CheckpointSpec{FromDMS: "mysql-bin.000001:999999999"})
	require.ErrorContains(t, err, "is past the end of mysql-bin.000001")
}
