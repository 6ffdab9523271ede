package lookup

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/change"
)

func TestResolveSeenSawWhatTheSourceHadLogged(t *testing.T) {
	srv := startSource(t, customers...)
	r := resolver(t, srv, Options{})
	ctx := context.Background()
	conn, err := srv.DB(t, "").Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	// write renames customer 1 and returns the transaction's GTID.
	write := func(name string) string {
		_, err := conn.ExecContext(ctx, "UPDATE src.customers SET name = ? WHERE id = 1", name)
		require.NoError(t, err)
		var gtid string
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT @@last_gtid").Scan(&gtid))
		require.NotEmpty(t, gtid)
		return gtid
	}
	before := write("Ada B")

	op := pendingOp(customerLookup(), int64(10), int64(1))
	seen, err := r.ResolveSeen(ctx, []*change.TargetOp{op})
	require.NoError(t, err)
	require.Equal(t, []change.Value{"Ada B", "gold"}, op.Values)
	require.Equal(t, uint64(2), r.Queries(), "the position, then the lookup")
	after := write("Ada C")

	require.True(t, seen.Saw("src", before), "%s was logged before the read", before)
	require.False(t, seen.Saw("src", after), "%s was logged after the read", after)
	require.False(t, seen.Saw("other", before), "another source was not read")
	require.False(t, seen.Saw("src", ""), "a transaction without a GTID")

	// Nothing pending: nothing read, nothing seen.
	seen, err = r.ResolveSeen(ctx, []*change.TargetOp{{Kind: change.DeleteRow, Key: []change.Value{int64(1)}}})
	require.NoError(t, err)
	require.False(t, seen.Saw("src", before))
	require.Equal(t, uint64(2), r.Queries())
}
