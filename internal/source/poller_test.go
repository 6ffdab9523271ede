package source

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A poller follows the position over the connection it keeps, and again
// after the server restarted under it.
func TestPositionPoller(t *testing.T) {
	t.Parallel()
	s := startMariaDB(t)
	s.Exec(t, "CREATE TABLE db.t (id INT PRIMARY KEY)")
	p := New(testOptions(s)).NewPositionPoller()
	defer func() { require.NoError(t, p.Close()) }()
	ctx := context.Background()
	first, err := p.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, positionOf(t, s), first)
	s.Exec(t, "INSERT INTO db.t VALUES (1)")
	second, err := p.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, positionOf(t, s), second)
	require.NotEqual(t, first.GTIDSet, second.GTIDSet)

	require.NoError(t, s.Stop())
	_, err = p.Poll(ctx)
	require.Error(t, err)
	require.NoError(t, s.Restart(ctx))
	s.Exec(t, "INSERT INTO db.t VALUES (2)")
	require.Eventually(t, func() bool {
		third, err := p.Poll(ctx)
		return err == nil && third == positionOf(t, s)
	}, waitTimeout, 100*time.Millisecond)
}
