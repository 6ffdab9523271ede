package source

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// silentConn counts the reads of a binlog connection so that a watchdog
// can tell a dead connection, one whose read has waited silenceLimit with
// the server sending nothing, not even its heartbeat, from one idle
// because the pipeline is not taking events. It replaces go-mysql's
// ReadTimeout, which costs a clock read and a deadline update per packet.
type silentConn struct {
	net.Conn
	// reads is odd while a read is under way; it changes with each read.
	reads atomic.Uint64
	// closed is set when the watchdog closed the connection.
	closed atomic.Bool
}

func (c *silentConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	n, err := c.Conn.Read(p)
	c.reads.Add(1)
	return n, err
}

// watch closes c once one read has waited limit, checking every tick,
// until ctx ends.
func (c *silentConn) watch(ctx context.Context, limit, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	last, since := c.reads.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n := c.reads.Load()
			if n != last {
				last, since = n, now
				continue
			}
			if n%2 == 1 && now.Sub(since) >= limit {
				c.closed.Store(true)
				_ = c.Conn.Close()
				return
			}
		}
	}
}
