package source

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
	"github.com/tributary-cdc/tributary/internal/testenv"
)

// TestReconnectAfterKill kills the server while the reader is in the
// middle of a large transaction and restarts it: the reader reconnects as
// a least-privileged user, repeats the interrupted transaction from Part 0
// with the same Seq, and loses or duplicates nothing else. Neither the
// password nor row values reach the log.
func TestReconnectAfterKill(t *testing.T) {
	t.Parallel()
	const (
		password = "repl-secret-pw"
		secret   = "row-secret-value"
		bigRows  = 100_000
	)
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY, v VARCHAR(255))",
		"CREATE USER repl@'%' IDENTIFIED BY '"+password+"'",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO repl@'%'")
	var logs testenv.LogBuffer
	opts := testOptions(s)
	opts.User, opts.Password = "repl", password
	opts.MaxPartChanges = 100
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := New(opts)
	require.NoError(t, r.Preflight(context.Background()))
	start, err := r.CurrentPosition(context.Background())
	require.NoError(t, err)

	rr := run(t, r, start, 1)
	for i := 1; i <= 5; i++ {
		s.Exec(t, fmt.Sprintf("INSERT INTO db.t VALUES (%d, '%s-%d')", i, secret, i))
	}
	// About 25 MB of rows: more than socket buffers hold, so the kill
	// cuts the transaction.
	s.Exec(t, fmt.Sprintf("INSERT INTO db.t SELECT 1000 + seq, CONCAT('%s-', seq, REPEAT('x', 200)) FROM db.seq_1_to_%d", secret, bigRows))

	// parts[seq][part] keeps the latest copy of every part: a repeated
	// part overwrites the earlier one.
	parts := map[uint64]map[int]*change.Txn{}
	var lastSeqs []uint64
	repeated := false
	receive := func() *change.Txn {
		txn := rr.next(t)
		if parts[txn.Seq] == nil {
			parts[txn.Seq] = map[int]*change.Txn{}
		}
		if _, ok := parts[txn.Seq][txn.Part]; ok {
			repeated = true
		}
		parts[txn.Seq][txn.Part] = txn
		if txn.Last {
			lastSeqs = append(lastSeqs, txn.Seq)
		}
		return txn
	}
	for len(lastSeqs) < 5 {
		receive()
	}
	for range 3 {
		require.False(t, receive().Last)
	}

	require.NoError(t, s.Kill())
	require.NoError(t, s.Restart(context.Background()))
	for i := 6; i <= 8; i++ {
		s.Exec(t, fmt.Sprintf("INSERT INTO db.t VALUES (%d, '%s-%d')", i, secret, i))
	}
	for len(lastSeqs) < 9 {
		receive()
	}

	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9}, lastSeqs)
	require.True(t, repeated, "the interrupted transaction was sent again")
	var ids []int64
	for seq := uint64(1); seq <= 9; seq++ {
		for p := 0; p < len(parts[seq]); p++ {
			txn := parts[seq][p]
			require.NotNil(t, txn, "seq %d part %d", seq, p)
			require.Equal(t, p == len(parts[seq])-1, txn.Last)
			for _, c := range txn.Changes {
				ids = append(ids, c.After[0].(int64))
			}
		}
	}
	var want []int64
	for i := int64(1); i <= 5; i++ {
		want = append(want, i)
	}
	for i := int64(1); i <= bigRows; i++ {
		want = append(want, 1000+i)
	}
	want = append(want, 6, 7, 8)
	require.Equal(t, want, ids)

	out := logs.String()
	require.Contains(t, out, "reconnecting")
	require.NotContains(t, out, password)
	require.NotContains(t, out, secret)
}
